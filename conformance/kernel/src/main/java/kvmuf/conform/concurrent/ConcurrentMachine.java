package kvmuf.conform.concurrent;

import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import kvmuf.conform.AgentObservation;
import kvmuf.conform.Contents;
import kvmuf.conform.GuestMemory;
import kvmuf.conform.KernelTarget;
import kvmuf.conform.KernelVm;
import kvmuf.conform.TargetSetup;
import kvmuf.kvm.Kvm;
import kvmuf.kvm.KvmCap;
import kvmuf.kvm.MemoryRegion2;
import kvmuf.kvm.Memslot;
import kvmuf.kvm.UapiProfile;
import kvmuf.kvm.UserfaultEvidence;
import kvmuf.kvm.UnsupportedFeatureException;
import kvmuf.kvm.UserfaultBitmap;
import kvmuf.kvm.Vm;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.Observation;
import kvmuf.sys.Libc;
import kvmuf.sys.Mapping;
import kvmuf.sys.SyscallException;
import kvmuf.uffd.MfillResult;
import kvmuf.uffd.UffdEvent;
import kvmuf.uffd.Userfaultfd;
import kvmuf.x86.guest.AgentResult;
import kvmuf.x86.guest.GuestAgent;

/**
 * The kernel side of one concurrent run: a VM with one vCPU per model vCPU running the guest agent, one memslot
 * of {@link TargetSetup#PAGES_2M} pages at {@link KernelTarget#BASE_GPA} over the config's memory ({@link
 * GuestMemory}: anonymous, or a guest_memfd with MMAP and INIT_SHARED; the same layout as the deterministic {@link
 * KernelTarget}; the first NumGfns pages are the model's gfns), registered with userfaultfd MISSING when the config
 * says so, and a source page per gfn holding its fetched contents ({@link Contents}).
 *
 * <p>KVM Userfault configs get the slot's userfault bitmap (every bit set and the slot created with
 * KVM_MEM_USERFAULT for UserfaultUse = start; clear and USERFAULT off for late), and SlotZap = memslot gets
 * KVM_X86_QUIRK_SLOT_ZAP_ALL disabled, as in the deterministic target. A vCPU thread is then also its own exit
 * handler ({@link #install}, {@link #clearBit}, {@link #resume}); the VMM thread marks gfns ({@link #setBit}) and
 * toggles USERFAULT ({@link #memslotUpdate}).
 *
 * <p>Its calls are thread-safe in the way a run uses them: each vCPU's {@link #read}, {@link #resume} and exit
 * handler calls from that vCPU's thread only; the uffd calls from the handler thread, which has stopped before
 * {@link #closeUffd}; {@link #memslotUpdate} and {@link #setBit} from the VMM thread. The bitmap's stores are
 * atomic per bit (UserfaultBitmap), so a vCPU's ClearBit and the VMM's SetBit on one word do not lose each other.
 *
 * <p>Who installed each gfn's contents ({@link #claim}) is decided under the log lock, as every install is a short
 * call: the background fetch only fetches a gfn still marked and not installed, as the model's FetchInstall does.
 *
 * <p>What it cannot build is unsupported, never run: KVM Userfault configs on a kernel without
 * KVM_CAP_USERFAULT, guest_memfd without MMAP and INIT_SHARED, kernel async PF, another architecture, shmem slots,
 * userfaultfd MINOR.
 */
public final class ConcurrentMachine implements UffdCalls, AutoCloseable {
  private static final long PAGE = Observation.PAGE_SIZE;
  private static final long MIB2 = 2L << 20;

  private final Config config;
  private final Kvm kvm;
  private final Vm vm;
  private final Memslot slot;
  private final GuestMemory memory;
  /** Per gfn: its contents were installed (by an exit handler, the uffd handler or the background fetch). */
  private final java.util.concurrent.atomic.AtomicIntegerArray installed;
  private final List<GuestAgent> agents = new ArrayList<>();
  private final Optional<Userfaultfd> uffd;
  private final Optional<Mapping> source;
  /** The slot's userfault bitmap (KVM Userfault configs only). */
  private final Optional<UserfaultBitmap> bitmap;
  private boolean uffdClosed;

  /** Why this kit cannot run config {@code c} concurrently on any kernel (checked before opening /dev/kvm), or null. */
  public static String unsupportedConfig(Config c) {
    String deterministic = KernelTarget.unsupportedConfig(c);
    if (deterministic != null) return deterministic;
    if (c.slotKind() == Config.SlotKind.SHMEM) {
      return "config " + c.name() + " has SlotKind = shmem: concurrent runs use anonymous memory or guest_memfd";
    }
    if (c.uffdMode() == Config.UffdMode.MINOR) {
      return "config " + c.name() + " has UffdMode = minor: concurrent runs resolve MISSING faults (UFFDIO_COPY) only";
    }
    return null;
  }

  private ConcurrentMachine(Config config, Kvm kvm, Optional<UapiProfile> profile) {
    this.config = config;
    this.kvm = kvm;
    UapiProfile p = profile.orElseGet(() -> UapiProfile.detect(kvm));
    this.vm = kvm.createVm(0, p);
    Userfaultfd u = null;
    Mapping src = null;
    UserfaultBitmap bits = null;
    GuestMemory mem = null;
    try {
      boolean userfault = config.userfaultUse() != Config.UserfaultUse.NONE;
      if (userfault) requireUserfault(config, vm);
      // Only an enable of USERFAULT zaps: SlotZap matters where USERFAULT is used (as KernelTarget sets it up).
      if (userfault && config.slotZap() == Config.SlotZap.MEMSLOT) KernelVm.zapMemslotOnly(kvm, vm);
      GuestAgent.Program program = GuestAgent.load(vm, GuestAgent.defaultSlot(vm), GuestAgent.DEFAULT_CODE_GPA);
      mem = GuestMemory.create(vm, config.slotKind(), TargetSetup.PAGES_2M); // guest_memfd: unsupported without MMAP
      boolean atStart = config.userfaultUse() == Config.UserfaultUse.START;
      if (userfault) bits = new UserfaultBitmap(TargetSetup.PAGES_2M);
      if (atStart) bits.setAll();
      this.slot = mem.addMemslot(vm, KernelVm.SLOT, KernelVm.BASE_GPA, atStart ? bits : null);
      if (config.uffdMode() == Config.UffdMode.MISSING) {
        u = Userfaultfd.open(0);
        u.register(mem.guestView().address(), mem.guestView().length(), Userfaultfd.REGISTER_MODE_MISSING);
      }
      // The fetched contents of each gfn: what UFFDIO_COPY copies, and what an exit handler without uffd writes.
      src = Mapping.anonymous(config.numGfns() * PAGE, false);
      for (int g = 0; g < config.numGfns(); g++) {
        for (long off = 0; off < PAGE; off += 4) src.segment().set(ValueLayout.JAVA_INT, g * PAGE + off, Contents.fetched(g));
      }
      for (int v = 0; v < config.vcpus(); v++) agents.add(program.start(vm.createVcpu(v)));
    } catch (RuntimeException e) {
      if (u != null) u.close();
      vm.close();
      if (mem != null) mem.close();
      if (src != null) src.close();
      if (bits != null) bits.close();
      throw e;
    }
    this.memory = mem;
    this.installed = new java.util.concurrent.atomic.AtomicIntegerArray(config.numGfns());
    this.uffd = Optional.ofNullable(u);
    this.source = Optional.of(src);
    this.bitmap = Optional.ofNullable(bits);
  }

  /** KVM Userfault configs on a kernel without it: unsupported, with the evidence a user can act on. */
  private static void requireUserfault(Config config, Vm vm) {
    if (vm.profile().hasUserfault()) return;
    throw new UnsupportedFeatureException("unsupported: KVM_CAP_USERFAULT not offered by this kernel ("
        + UserfaultEvidence.ofThisKernel().describe() + "; UAPI profile " + vm.profile().id() + "); config " + config.name()
        + " has UserfaultUse = " + config.userfaultUse().name().toLowerCase());
  }

  /**
   * Builds the machine for config {@code c}. Throws {@link UnsupportedFeatureException} ("unsupported: ...")
   * when this kernel or this kit cannot run it.
   */
  public static ConcurrentMachine open(Config c, Optional<UapiProfile> profile) {
    String why = unsupportedConfig(c);
    if (why != null) throw new UnsupportedFeatureException("unsupported: " + why);
    Kvm kvm = Kvm.open();
    try {
      if (kvm.checkExtension(KvmCap.USER_MEMORY2) <= 0) {
        throw new UnsupportedFeatureException("unsupported: KVM_CAP_USER_MEMORY2 not offered by this kernel");
      }
      return new ConcurrentMachine(c, kvm, profile);
    } catch (RuntimeException e) {
      kvm.close();
      throw e;
    }
  }

  public String profileId() {
    return vm.profile().id();
  }

  public boolean hasUffd() {
    return uffd.isPresent();
  }

  // ---------------------------------------------------------------- vCPU threads

  /**
   * vCPU {@code v}'s guest reads gfn {@code g} (KVM_RUN until the agent reports, possibly asleep in userfaultfd
   * meanwhile): a completed read is {@code read} with its value class; anything else is what the model calls it
   * (a memory_fault exit) or one of the kernel-only kinds ({@code mmio_exit}, {@code other_exit}), which the model
   * never allows.
   */
  public Observation read(int v, int g) {
    return access(v, g, false);
  }

  /**
   * KVM itself reads gfn {@code g} for vCPU {@code v} (the agent's string port I/O, which KVM emulates: no stage-2
   * fault, no bitmap check; a missing page sleeps in userfaultfd): {@code kvm_read} with its value class.
   */
  public Observation kvmRead(int v, int g) {
    return access(v, g, true);
  }

  private Observation access(int v, int g, boolean kvm) {
    AgentResult r;
    try {
      r = kvm ? agents.get(v).kvmRead(KernelVm.gpa(g)) : agents.get(v).read(KernelVm.gpa(g));
    } catch (RuntimeException e) {
      return AgentObservation.failed(e);
    }
    return AgentObservation.of(g, kvm, r);
  }

  /**
   * vCPU {@code v} re-enters KVM_RUN after its exit handler resolved the memory-fault exit on {@code g}: the
   * guest re-executes the stopped read (what the model's next Access of the same gfn after ResumeVcpu is).
   */
  public Observation resume(int v, int g) {
    AgentResult r;
    try {
      r = agents.get(v).resume();
    } catch (RuntimeException e) {
      return AgentObservation.failed(e);
    }
    return AgentObservation.of(g, false, r);
  }

  /**
   * The exit handler's Install of gfn {@code g}: UFFDIO_COPY with DONTWAKE where userfaultfd covers the slot
   * (EEXIST when the page is there already, which the handler ignores), else a plain write of the fetched
   * contents ({@code done}), as the model's Install says.
   */
  public Observation install(int g) {
    claim(g);
    if (uffd.isPresent()) return new Observation.Ioctl(copy(g, true));
    memory.writeFetched(g);
    return new Observation.Done();
  }

  /**
   * Notes that gfn {@code g}'s contents are being installed, and says whether they were already: called by every
   * install under the log lock, so that the answer is the model's {@code fetched[g]} at that line.
   */
  boolean claim(int g) {
    return installed.getAndSet(g, 1) != 0;
  }

  /**
   * The background fetch of gfn {@code g} (the migration stream's FetchInstall), made only while {@code g} is still
   * marked and nobody installed it, as the model's FetchInstall: UFFDIO_COPY, which wakes, where userfaultfd covers
   * the slot, else a plain write of the fetched contents ({@code done}). Empty when it is not made. Call under the log
   * lock.
   */
  public Optional<Observation> fetchInstall(int g) {
    if (!bitmap.orElseThrow().test(g) || installed.get(g) != 0) return Optional.empty();
    claim(g);
    if (uffd.isPresent()) return Optional.of(new Observation.Ioctl(copy(g, false)));
    memory.writeFetched(g);
    return Optional.of(new Observation.Done());
  }

  /**
   * The VMM's InvalidateBegin of gfn {@code g} (MADV_DONTNEED over its page; its InvalidateEnd is the rest of the
   * same call), made only while the page is present, as the model's guard says: with userfaultfd MISSING a page is
   * present exactly when somebody installed it ({@link #claim}), and afterwards it is not. Empty when it is not made.
   * Call under the log lock.
   */
  public Optional<Observation> invalidate(int g) {
    if (installed.get(g) == 0) return Optional.empty();
    memory.invalidate(g);
    installed.set(g, 0);
    return Optional.of(new Observation.Ioctl("ok"));
  }

  /** The exit handler's ClearBit of gfn {@code g} (a store-release of the bit): {@code done}. */
  public Observation clearBit(int g) {
    bitmap.orElseThrow().clear(g);
    return new Observation.Done();
  }

  /** The VMM's SetBit of gfn {@code g} (a bitmap store): {@code done}. */
  public Observation setBit(int g) {
    bitmap.orElseThrow().set(g);
    return new Observation.Done();
  }

  // ---------------------------------------------------------------- the VMM thread

  /**
   * A flags-only memslot update (EnableDirtyLog, DisableDirtyLog, EnableUserfault, DisableUserfault): {@code ioctl}
   * ok or the errno name.
   */
  public Observation memslotUpdate(Action a) {
    try {
      switch (a) {
        case Action.EnableDirtyLog x -> slot.enableDirtyLog();
        case Action.DisableDirtyLog x -> slot.disableDirtyLog();
        case Action.EnableUserfault x -> slot.enableUserfault(bitmap.orElseThrow());
        case Action.DisableUserfault x -> slot.disableUserfault();
        default -> throw new IllegalArgumentException("not a memslot update this machine makes: " + a);
      }
      return new Observation.Ioctl("ok");
    } catch (SyscallException e) {
      return new Observation.Ioctl(e.errnoName().name());
    }
  }

  // ---------------------------------------------------------------- the uffd handler thread

  @Override
  public boolean awaitMessage(Duration d) {
    return (Libc.pollOne(uffd.orElseThrow().fd(), Libc.POLLIN, (int) d.toMillis()) & Libc.POLLIN) != 0;
  }

  @Override
  public Optional<UffdEvent> read() {
    return uffd.orElseThrow().readEvent(Duration.ZERO);
  }

  @Override
  public int gfnOf(long address) {
    int g = memory.gfnOf(address);
    return g >= config.numGfns() ? -1 : g;
  }

  @Override
  public String copy(int gfn, boolean dontWake) {
    claim(gfn);
    try {
      return switch (uffd.orElseThrow().copy(memory.hva(gfn), source.orElseThrow().address() + gfn * PAGE, PAGE, dontWake)) {
        case MfillResult.Done d -> "ok";
        case MfillResult.Exists e -> "EEXIST";
        case MfillResult.Retry r -> "EAGAIN";
      };
    } catch (SyscallException e) {
      return e.errnoName().name();
    }
  }

  @Override
  public String wake(int gfn) {
    try {
      uffd.orElseThrow().wake(memory.hva(gfn), PAGE);
      return "ok";
    } catch (SyscallException e) {
      return e.errnoName().name();
    }
  }

  // ---------------------------------------------------------------- teardown

  /**
   * Closes the userfaultfd: every thread asleep in it finishes its fault (a missing page becomes a zero page), so
   * a run that missed its deadline can still stop its vCPU threads. Idempotent.
   */
  public synchronized void closeUffd() {
    if (!uffdClosed) {
      uffdClosed = true;
      uffd.ifPresent(Userfaultfd::close);
    }
  }

  /** Closes the VM and its memory; call once every thread of the run has stopped. */
  @Override
  public void close() {
    closeUffd();
    vm.close();
    memory.close();
    source.ifPresent(Mapping::close);
    bitmap.ifPresent(UserfaultBitmap::close);
    kvm.close();
  }
}
