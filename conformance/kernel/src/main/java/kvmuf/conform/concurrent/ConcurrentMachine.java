package kvmuf.conform.concurrent;

import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import kvmuf.conform.AgentObservation;
import kvmuf.conform.Contents;
import kvmuf.conform.KernelTarget;
import kvmuf.conform.KernelVm;
import kvmuf.conform.TargetSetup;
import kvmuf.kvm.Kvm;
import kvmuf.kvm.KvmCap;
import kvmuf.kvm.Memslot;
import kvmuf.kvm.UapiProfile;
import kvmuf.kvm.UserfaultEvidence;
import kvmuf.kvm.UnsupportedFeatureException;
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
 * of {@link TargetSetup#PAGES_2M} anonymous pages at {@link KernelTarget#BASE_GPA} (the same layout as the
 * deterministic {@link KernelTarget}; the first NumGfns pages are the model's gfns), registered with userfaultfd
 * MISSING when the config says so, and a source page per gfn holding its fetched contents ({@link Contents}).
 *
 * <p>Its calls are thread-safe in the way a run uses them: each vCPU's {@link #read} from that vCPU's thread
 * only; the uffd calls from the handler thread, which has stopped before {@link #closeUffd}; {@link #memslotUpdate}
 * from the VMM thread.
 *
 * <p>What it cannot build is unsupported, never run: KVM Userfault configs (no KVM_CAP_USERFAULT here, and the
 * concurrent workloads do not drive userfault exits yet), kernel async PF, another architecture, shmem or
 * guest_memfd slots, userfaultfd MINOR.
 */
public final class ConcurrentMachine implements UffdCalls, AutoCloseable {
  private static final long PAGE = Observation.PAGE_SIZE;
  private static final long MIB2 = 2L << 20;

  private final Config config;
  private final Kvm kvm;
  private final Vm vm;
  private final Memslot slot;
  private final Mapping memory;
  private final List<GuestAgent> agents = new ArrayList<>();
  private final Optional<Userfaultfd> uffd;
  private final Optional<Mapping> source;
  private boolean uffdClosed;

  /** Why this kit cannot run config {@code c} concurrently on any kernel (checked before opening /dev/kvm), or null. */
  public static String unsupportedConfig(Config c) {
    String deterministic = KernelTarget.unsupportedConfig(c);
    if (deterministic != null) return deterministic;
    if (c.slotKind() != Config.SlotKind.ANON) {
      return "config " + c.name() + " has SlotKind = " + c.slotKind().name().toLowerCase()
          + ": concurrent runs use anonymous memory only";
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
    try {
      requireNoUserfault(config, vm);
      GuestAgent.Program program = GuestAgent.load(vm, GuestAgent.defaultSlot(vm), GuestAgent.DEFAULT_CODE_GPA);
      this.memory = vm.mapAnonymousAligned(TargetSetup.PAGES_2M * PAGE, MIB2);
      this.slot = vm.addMemslot(KernelVm.SLOT, KernelVm.BASE_GPA, memory);
      if (config.uffdMode() == Config.UffdMode.MISSING) {
        u = Userfaultfd.open(0);
        u.register(memory.address(), memory.length(), Userfaultfd.REGISTER_MODE_MISSING);
        src = Mapping.anonymous(config.numGfns() * PAGE, false);
        for (int g = 0; g < config.numGfns(); g++) {
          for (long off = 0; off < PAGE; off += 4) src.segment().set(ValueLayout.JAVA_INT, g * PAGE + off, Contents.fetched(g));
        }
      }
      for (int v = 0; v < config.vcpus(); v++) agents.add(program.start(vm.createVcpu(v)));
    } catch (RuntimeException e) {
      if (u != null) u.close();
      vm.close();
      if (src != null) src.close();
      throw e;
    }
    this.uffd = Optional.ofNullable(u);
    this.source = Optional.ofNullable(src);
  }

  /** KVM Userfault configs: unsupported here, with the reason a user can act on first. */
  private static void requireNoUserfault(Config config, Vm vm) {
    if (config.userfaultUse() == Config.UserfaultUse.NONE) return;
    String use = config.name() + " has UserfaultUse = " + config.userfaultUse().name().toLowerCase();
    if (!vm.profile().hasUserfault()) {
      throw new UnsupportedFeatureException("unsupported: KVM_CAP_USERFAULT not offered by this kernel ("
          + UserfaultEvidence.ofThisKernel().describe() + "; UAPI profile " + vm.profile().id() + "); config " + use);
    }
    throw new UnsupportedFeatureException("unsupported: concurrent workloads do not drive KVM Userfault exits yet (config " + use + ")");
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
      return new Observation.OtherExit("KVM_RUN failed: " + e.getMessage());
    }
    return AgentObservation.of(g, kvm, r);
  }

  // ---------------------------------------------------------------- the VMM thread

  /** A flags-only memslot update (EnableDirtyLog, DisableDirtyLog): {@code ioctl} ok or the errno name. */
  public Observation memslotUpdate(Action a) {
    try {
      switch (a) {
        case Action.EnableDirtyLog x -> slot.enableDirtyLog();
        case Action.DisableDirtyLog x -> slot.disableDirtyLog();
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
    long off = address - memory.address();
    return off < 0 || off >= config.numGfns() * PAGE ? -1 : (int) (off / PAGE);
  }

  @Override
  public String copy(int gfn, boolean dontWake) {
    try {
      return switch (uffd.orElseThrow().copy(memory.address() + gfn * PAGE, source.orElseThrow().address() + gfn * PAGE, PAGE, dontWake)) {
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
      uffd.orElseThrow().wake(memory.address() + gfn * PAGE, PAGE);
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
    source.ifPresent(Mapping::close);
    kvm.close();
  }
}
