package kvmuf.conform;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Optional;
import kvmuf.kvm.Kvm;
import kvmuf.kvm.KvmCap;
import kvmuf.kvm.KvmStats;
import kvmuf.kvm.MemoryRegion2;
import kvmuf.kvm.Memslot;
import kvmuf.kvm.UapiProfile;
import kvmuf.kvm.UserfaultEvidence;
import kvmuf.kvm.UnsupportedFeatureException;
import kvmuf.kvm.UserfaultBitmap;
import kvmuf.kvm.Vm;
import kvmuf.model.Action;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;
import kvmuf.model.Observation;
import kvmuf.model.Observations;
import kvmuf.model.StepObservation;
import kvmuf.trace.Target;
import kvmuf.sys.Errno;
import kvmuf.sys.KernelLog;
import kvmuf.sys.Mapping;
import kvmuf.sys.SyscallException;
import kvmuf.uffd.MfillResult;
import kvmuf.uffd.UffdEvent;
import kvmuf.uffd.UffdFeature;
import kvmuf.uffd.Userfaultfd;
import kvmuf.x86.guest.AgentResult;
import kvmuf.x86.guest.GuestAgent;

/**
 * One VM of the real kernel, as {@link KernelTarget} drives it: each model {@link Action} (and each {@link
 * ApiCall} outside the model) becomes the KVM ioctl, userfaultfd call, bitmap store, madvise or guest access it
 * names, through the kernel adapter, and comes back as a {@link StepObservation} in the model's terms ({@link
 * Observation}; gpas and addresses relative to gfn 0 of the slot; page counts not observed except by
 * ReadMappings). Steps run one at a time; a vCPU's access runs on its own thread until it completes, stops at
 * an exit, or sleeps in userfaultfd (seen as a uffd message from that vCPU's thread).
 *
 * <p>A step the kernel cannot run (no KVM_CAP_USERFAULT, no stats, no userfaultfd on this slot) throws
 * {@link UnsupportedFeatureException} with the reason, never a made-up result.
 *
 * <p>The exit handler's actions (Install, ClearBit of vCPU v) act on the gfn of v's last memory-fault exit.
 *
 * <p>Messages: the target reads the userfaultfd while it waits for a vCPU, to tell which vCPU is asleep;
 * UffdRead hands those messages out in the order the kernel sent them.
 *
 * <p>Who is asleep and who was woken is decided from the kernel's evidence ({@link SleepEvidence}: a uffd
 * message from the vCPU's thread and that thread asleep in handle_userfault; after a wake ioctl, each sleeper
 * still asleep with the same switch count, or not), never from elapsed time; the hung-kernel timeout only
 * reports a kernel that makes no progress.
 */
public final class KernelVm implements AutoCloseable {
  /** gfn 0 of the slot: 2 MiB aligned, clear of the agent's code page (gpa 0x1000, its own slot). */
  public static final long BASE_GPA = 0x200000;
  /** Where MoveSlot moves the slot: 1 GiB, 2 MiB aligned, clear of the agent's slot and of BASE_GPA's 2 MiB. */
  public static final long MOVED_GPA = 0x4000_0000L;
  public static final int SLOT = 0;
  public static final long PAGE = 4096;
  /**
   * Where in a gfn's page the guest agent's accesses read (4-byte aligned, not 0): a memory-fault exit must
   * still name the page (gpa = gfn * 4096), so an exit that names the faulting address shows the offset; an
   * MMIO exit names the address, which {@link AgentObservation} takes back to its page. Every word of an
   * installed page holds the gfn's pattern ({@link Contents}), so the value read is the same anywhere.
   */
  public static final long READ_OFFSET = 0x124;

  private final TargetSetup setup;
  private final Kvm kvm;
  private final Vm vm;
  private final GuestMemory memory;
  private final Memslot slot;
  private final Optional<UserfaultBitmap> bitmap;
  private final Optional<Userfaultfd> uffd;
  private final Optional<Mapping> source;
  private final List<VcpuWorker> vcpus = new ArrayList<>();
  /** Who is asleep in userfaultfd, who was woken: the uffd messages read so far and the waits. */
  private final Sleepers sleepers;
  private KvmStats stats;
  /** WARN records in the kernel log at the last ReadKernelWarnings (-1: not read yet); read only by rules that ask. */
  private int warningsSeen = -1;
  /** KVM WARN records in the kernel log at {@link #warningsFromNow} or the last {@link #newKvmWarnings} (-1: log unreadable). */
  private int kvmWarningsSeen;
  /** What the set-up's bitmap pointer check showed where it is not what the profile documents (see {@link #setupDeviation}). */
  private final Optional<String> setupDeviation;
  private long stepsRun;
  /** The slot's guest-physical address: BASE_GPA, or MOVED_GPA after a MoveSlot. */
  private long base = BASE_GPA;
  /** vCPU -> the slot address its current (possibly stopped) access was started at. */
  private final Map<Integer, Long> accessBase = new TreeMap<>();
  /** The vCPUs whose current (possibly stopped) access is a guest write. */
  private final java.util.Set<Integer> writing = new java.util.TreeSet<>();
  /** vCPU -> the gfn of its last memory-fault exit (what its exit handler's Install and ClearBit act on). */
  private final Map<Integer, Integer> exitGfn = new TreeMap<>();

  private KernelVm(TargetSetup setup, Kvm kvm) {
    this.setup = setup;
    this.kvm = kvm;
    UapiProfile profile = setup.profile().orElseGet(() -> UapiProfile.detect(kvm));
    this.vm = kvm.createVm(0, profile);
    try {
      if (setup.zapMemslotOnly()) zapMemslotOnly(kvm, vm);
      GuestAgent.Program program = GuestAgent.load(vm, GuestAgent.defaultSlot(vm), GuestAgent.DEFAULT_CODE_GPA);
      this.memory = GuestMemory.create(vm, setup.kind(), setup.pages());
      if (setup.prefill()) memory.prefill();
      if (setup.userfaultAtStart()) vm.requireUserfault(); // UserfaultUse = start: unsupported, with the reason, without it
      this.bitmap = userfaultUsable(vm) ? Optional.of(new UserfaultBitmap(setup.pages())) : Optional.empty();
      if (setup.userfaultAtStart()) bitmap.get().setAll();
      this.slot = memory.addMemslot(vm, SLOT, BASE_GPA, setup.userfaultAtStart() ? bitmap.get() : null);
      this.uffd = openUffd(setup, memory);
      this.source = setup.uffd() == UffdMode.MISSING ? Optional.of(Mapping.anonymous(PAGE, false)) : Optional.empty();
      for (int i = 0; i < setup.vcpus(); i++) vcpus.add(new VcpuWorker(i, program, vm.createVcpu(i)));
      this.sleepers = new Sleepers(uffd, vcpus, memory);
      this.kvmWarningsSeen = KernelLog.warnings().map(w -> kvmWarnings(w).size()).orElse(-1);
      this.setupDeviation = checkBitmapPointer();
    } catch (RuntimeException e) {
      vm.close();
      throw e;
    }
  }

  /**
   * Opens /dev/kvm and builds the VM. Throws {@link UnsupportedFeatureException} ("unsupported: no /dev/kvm",
   * no KVM_CAP_USER_MEMORY2, ...) when this machine cannot host the target.
   */
  public static KernelVm open(TargetSetup setup) {
    Kvm kvm = Kvm.open();
    try {
      if (kvm.checkExtension(KvmCap.USER_MEMORY2) <= 0) {
        throw new UnsupportedFeatureException("unsupported: KVM_CAP_USER_MEMORY2 not offered by this kernel (flags-only updates need it)");
      }
      return new KernelVm(setup, kvm);
    } catch (RuntimeException e) {
      kvm.close();
      throw e;
    }
  }

  /** The start of x86-64's direct map: never a user address, so never a valid userfault_bitmap. */
  static final long KERNEL_HALF_BITMAP = 0xffff_8880_0000_0000L;

  /**
   * Under a profile that validates the bitmap pointer (uf-v2, uf-v3: {@link UapiProfile#validatesBitmapPointer}),
   * the set-up asks the slot for USERFAULT with a kernel-half bitmap pointer before the guest runs, which the
   * profile documents as EINVAL at KVM_SET_USER_MEMORY_REGION2 (also where the flag is already on: the check
   * precedes the "nothing to change" return). Any other answer is the deviation, and a kernel that took the
   * pointer gets the slot's own region back. The model has no word for a bad pointer, so a generated trace
   * cannot ask for one; this is the one input every trace's set-up adds. Empty: as documented, or not checked
   * (no KVM Userfault, or a profile without validation).
   */
  private Optional<String> checkBitmapPointer() {
    if (bitmap.isEmpty() || !vm.profile().validatesBitmapPointer()) return Optional.empty();
    String call = "KVM_SET_USER_MEMORY_REGION2 with KVM_MEM_USERFAULT and the kernel-half bitmap pointer 0x"
        + Long.toHexString(KERNEL_HALF_BITMAP);
    try {
      vm.setUserMemoryRegion2Unchecked(slot.region().withFlags(slot.flags() | UapiProfile.KVM_MEM_USERFAULT)
          .withUserfaultBitmap(KERNEL_HALF_BITMAP));
    } catch (SyscallException e) {
      return e.is(Errno.EINVAL) ? Optional.empty()
          : Optional.of(call + " answered " + e.errnoName().name() + ", profile " + vm.profile().id() + " documents EINVAL");
    }
    vm.setUserMemoryRegion2Unchecked(slot.region());
    return Optional.of(call + " answered ok, profile " + vm.profile().id() + " documents EINVAL (pointer validated at the ioctl)");
  }

  /**
   * What the set-up's bitmap pointer check ({@link #checkBitmapPointer}) showed where the kernel does not do what
   * the profile documents; a trace's first step shows it ({@link KernelTarget}).
   */
  public Optional<String> setupDeviation() {
    return setupDeviation;
  }

  /** KVM_CAP_DISABLE_QUIRKS2: its KVM_CHECK_EXTENSION answer is the mask of quirks this KVM can disable. */
  static final int KVM_CAP_DISABLE_QUIRKS2 = 213;
  /** x86: a memslot change zaps every root (obsoletes them), not just that memslot's mappings; on by default. */
  static final long KVM_X86_QUIRK_SLOT_ZAP_ALL = 1L << 7;

  /**
   * Makes a memslot change zap that memslot only (the model's SlotZap = memslot): disables
   * KVM_X86_QUIRK_SLOT_ZAP_ALL. A KVM that cannot (before 6.12, or another architecture) zaps as it always did,
   * which the model's SlotZap = all describes: unsupported here, with the reason.
   */
  public static void zapMemslotOnly(Kvm kvm, Vm vm) {
    long quirks = Math.max(0, kvm.checkExtension(KVM_CAP_DISABLE_QUIRKS2));
    if ((quirks & KVM_X86_QUIRK_SLOT_ZAP_ALL) == 0) {
      throw new UnsupportedFeatureException("unsupported: the config's SlotZap = memslot needs KVM_X86_QUIRK_SLOT_ZAP_ALL disabled, "
          + "and this KVM cannot disable it (KVM_CAP_DISABLE_QUIRKS2 answered 0x" + Long.toHexString(quirks) + "); SlotZap = all configs run");
    }
    vm.enableCap(KVM_CAP_DISABLE_QUIRKS2, KVM_X86_QUIRK_SLOT_ZAP_ALL);
  }

  private static boolean userfaultUsable(Vm vm) {
    try {
      vm.requireUserfault();
      return true;
    } catch (UnsupportedFeatureException e) {
      return false;
    }
  }

  private static Optional<Userfaultfd> openUffd(TargetSetup setup, GuestMemory memory) {
    if (setup.uffd() == UffdMode.NONE) return Optional.empty();
    long supported = Userfaultfd.supportedFeatures();
    long wanted = UffdFeature.THREAD_ID.mask() | (setup.uffd() == UffdMode.MINOR ? UffdFeature.MINOR_SHMEM.mask() : 0);
    if (setup.uffd() == UffdMode.MINOR && (supported & UffdFeature.MINOR_SHMEM.mask()) == 0) {
      throw new UnsupportedFeatureException("unsupported: UFFD_FEATURE_MINOR_SHMEM not offered by this kernel");
    }
    Userfaultfd u = Userfaultfd.open(wanted & supported);
    long mode = setup.uffd() == UffdMode.MINOR ? Userfaultfd.REGISTER_MODE_MINOR : Userfaultfd.REGISTER_MODE_MISSING;
    if (setup.uffd() == UffdMode.MINOR) memory.prefill(); // MINOR faults need the page in the page cache
    u.register(memory.guestView().address(), memory.guestView().length(), mode);
    return Optional.of(u);
  }

  public TargetSetup setup() {
    return setup;
  }

  public UapiProfile profile() {
    return vm.profile();
  }

  /** The guest-physical address of gfn {@code gfn} (gfns past the slot are outside every memslot). */
  public static long gpa(int gfn) {
    return BASE_GPA + gfn * PAGE;
  }

  /** How long a step may make no progress before the target reports a hung kernel (decides no observation). */
  public KernelVm withHungTimeout(Duration hung) {
    sleepers.evidence = new SleepEvidence(hung);
    return this;
  }

  SleepEvidence evidence() {
    return sleepers.evidence;
  }

  /**
   * The vCPUs asleep in userfaultfd now, each with a token for its KVM_RUN (the same token while that call
   * goes on, e.g. woken and asleep again on the same fault; a new one per access or resume): such a vCPU
   * holds kvm->srcu, so a memslot update that started while it slept waits for it.
   */
  Map<Integer, Object> uffdSleepers() {
    Map<Integer, Object> m = new TreeMap<>();
    for (int v : sleepers.asleep().keySet()) m.put(v, vcpus.get(v).inFlight());
    return m;
  }

  /** The host virtual address of gfn 0 in the guest's view of the slot. */
  public long hostAddress() {
    return memory.hva(0);
  }

  /** The ioctl this target's installs issue: UFFDIO_COPY, UFFDIO_CONTINUE, or a plain write. */
  public String installCall() {
    return switch (setup.uffd()) {
      case MISSING -> "UFFDIO_COPY";
      case MINOR -> "UFFDIO_CONTINUE";
      case NONE -> "write";
    };
  }

  public long stepsRun() {
    return stepsRun;
  }

  /**
   * Performs one model action on the kernel and reports what it showed. Throws {@link
   * UnsupportedFeatureException} when this kernel or slot cannot run it.
   */
  public StepObservation step(Action action) {
    stepsRun++;
    return switch (action) {
      case Action.Access a -> access(a.vcpu(), a.gfn());
      case Action.KvmAccess a -> kvmAccess(a.vcpu(), a.gfn());
      case Action.Install a -> install(exitOf(a), false);
      // The background fetch: the same calls as the uffd reader's install (it wakes) and the exit handler's clear.
      case Action.FetchInstall a -> install(a.gfn(), true);
      case Action.UffdInstall a -> install(a.gfn(), true);
      case Action.UffdRead a -> uffdRead(a.gfn());
      case Action.UffdWake a -> uffdWake(a.gfn());
      case Action.SetBit a -> bitmapStore(a.gfn(), true);
      case Action.ClearBit a -> bitmapStore(exitOf(a), false);
      case Action.FetchClearBit a -> bitmapStore(a.gfn(), false);
      case Action.ResumeVcpu a -> resume(a.vcpu());
      case Action.EnableUserfault a -> enableUserfault();
      case Action.DisableUserfault a -> flagsOnly(() -> {
        requireBitmap();
        slot.disableUserfault();
      });
      case Action.EnableDirtyLog a -> flagsOnly(slot::enableDirtyLog);
      case Action.DisableDirtyLog a -> flagsOnly(slot::disableDirtyLog);
      // one madvise / punch-hole call: the model's InvalidateBegin, with InvalidateEnd inside the same call
      case Action.InvalidateBegin a -> invalidate(a.gfn());
      case Action.AccessWrite a -> write(a.vcpu(), a.gfn());
      // model-b's actions: not implemented on the kernel yet (each says why)
      case Action.GuestWork a -> throw new UnsupportedFeatureException(
          "unsupported: GuestWork: the guest agent runs no second task while an async page fault is pending");
      case Action.RemoteAccess a -> throw new UnsupportedFeatureException(
          "unsupported: RemoteAccess: this target has no second process mapping guest memory (remote accessor)");
      case Action.DeleteSlot a -> flagsOnly(slot::delete);
      case Action.MoveSlot a -> flagsOnly(() -> {
        slot.move(MOVED_GPA);
        base = MOVED_GPA; // the model's gfns are the slot's: gfn g is at MOVED_GPA + g pages from now on
      });
      // The guest's read of a gfn whose memslot is gone: KVM_EXIT_MMIO at its gpa.
      case Action.MmioAccess a -> mmioAccess(a.vcpu(), a.gfn());
      default -> throw new UnsupportedFeatureException("unsupported: " + action.name() + " has no kernel step (the kernel runs it inside another call)");
    };
  }

  /** Performs one call outside the model. Throws {@link UnsupportedFeatureException} when this kernel cannot. */
  public StepObservation call(ApiCall call) {
    stepsRun++;
    return switch (call) {
      case ApiCall.CreateMemslot c -> createMemslot(c);
      case ApiCall.SetFlags c -> flagsOnly(() -> vm.setUserMemoryRegion2Unchecked(slot.region().withFlags(c.flags())));
      case ApiCall.ReadMappings c -> mappings();
      case ApiCall.EnableUserfaultAt c -> {
        requireBitmap();
        yield flagsOnly(() -> vm.setUserMemoryRegion2Unchecked(
            slot.region().withFlags(slot.flags() | UapiProfile.KVM_MEM_USERFAULT).withUserfaultBitmap(c.bitmap())));
      }
      case ApiCall.ReadKernelWarnings c -> kernelWarnings();
    };
  }

  /**
   * vCPU {@code v} stopped at a memory-fault exit on {@code gfn} in a step the model took without the kernel
   * (a rule reaching the model state the kernel is put in directly): its exit handler's actions act on it.
   */
  public void assumeExit(int v, int gfn) {
    exitGfn.put(v, gfn);
  }

  private int exitOf(Action a) {
    Integer g = exitGfn.get(a.actingVcpu());
    if (g == null) {
      throw new UnsupportedFeatureException("unsupported: " + a.name() + ": vCPU " + a.actingVcpu() + " has no memory_fault exit to act on");
    }
    return g;
  }

  /** The result of a call that releases nobody and shows no page counts. */
  static StepObservation shows(Observation result) {
    return new StepObservation(result, Map.of(), Target.PAGES_NOT_OBSERVED, Target.PAGES_NOT_OBSERVED);
  }

  /** A vCPU's own observation; an exit is remembered for its handler's actions. */
  private StepObservation vcpuShows(int v, Observation o) {
    o = ofWrite(v, o);
    o = relocated(o);
    noteExit(v, o);
    return shows(o);
  }

  /**
   * An exit's gpa relative to where the slot is now: the guest agent's results are relative to BASE_GPA; after a
   * MoveSlot the model's gfn 0 is at MOVED_GPA.
   */
  private Observation relocated(Observation o) {
    long d = BASE_GPA - base;
    if (d == 0) return o;
    return switch (o) {
      case Observation.MemoryFaultExit m -> new Observation.MemoryFaultExit(m.gpa() + d, m.size(), m.flags());
      case Observation.MmioExit m -> new Observation.MmioExit(m.gpa() + d, m.len(), m.write());
      default -> o;
    };
  }

  void noteExit(int v, Observation o) {
    if (o instanceof Observation.MemoryFaultExit m) exitGfn.put(v, (int) (m.gpa() / PAGE));
  }

  // ---------------------------------------------------------------- guest accesses

  /**
   * The guest reads gfn {@code gfn}. On a vCPU stopped at an exit (the VMM resolved it and re-enters), a read
   * of the same gfn re-runs the faulting instruction, as a VMM's KVM_RUN after a memory-fault exit does;
   * a read of another gfn gives the stopped one up first ({@link kvmuf.x86.guest.GuestAgent#abandon}).
   */
  private StepObservation access(int v, int gfn) {
    return access(v, gfn, false);
  }

  /**
   * The guest reads gfn {@code gfn} with no memslot there: KVM_EXIT_MMIO. The VMM then completes the read (KVM_RUN
   * again, with kvm_run's MMIO data as the value read) so that the access is over, as the model's MmioAccess is
   * (the vCPU is idle after it); the value is the VMM's, not guest memory's, and is not reported.
   */
  private StepObservation mmioAccess(int v, int gfn) {
    StepObservation o = access(v, gfn, false);
    if (o.result() instanceof Observation.MmioExit) {
      Optional<Observation> failed = completeMmio(v);
      if (failed.isPresent()) return shows(failed.get());
    }
    return o;
  }

  /**
   * The VMM completes vCPU {@code v}'s MMIO exit (KVM_RUN again), so that its access is over as in the model; empty
   * when the read completed, else what the vCPU did instead ({@code other_exit}).
   */
  private Optional<Observation> completeMmio(int v) {
    VcpuWorker w = vcpu(v);
    Observation completed = sleepers.await(w, w.resume());
    if (completed instanceof Observation.Read) return Optional.empty();
    return Optional.of(new Observation.OtherExit("completing the MMIO read: " + completed.show()));
  }

  /**
   * KVM itself reads gfn {@code gfn} for vCPU {@code v}: the guest agent's string port I/O, which KVM emulates,
   * reading guest memory through the memslot's host address (no stage-2 fault, no bitmap check; a missing
   * page sleeps in userfaultfd). A vCPU stopped at an exit gives that access up first.
   */
  private StepObservation kvmAccess(int v, int gfn) {
    return access(v, gfn, true);
  }

  private StepObservation access(int v, int gfn, boolean kvm) {
    return access(v, gfn, kvm, false);
  }

  /**
   * The guest writes gfn {@code gfn} (AccessWrite): the agent's store ({@code mov [ebx], eax}) of the gfn's fetched
   * word at {@link #WRITE_OFFSET}, a word no read looks at, so that the page keeps the value class its reads show.
   * It faults as a write (a write-protected SPTE under dirty logging, a missing page in userfaultfd, a USERFAULT
   * exit); a completed write shows, as the model's does, the value class of the page it landed on: the word the
   * reads classify, read by the VMM once the write is done (the page is then present).
   */
  private StepObservation write(int v, int gfn) {
    return access(v, gfn, false, true);
  }

  /** Where in its page a guest write stores (away from the words reads classify). */
  static final long WRITE_OFFSET = 0x800;

  private StepObservation access(int v, int gfn, boolean kvm, boolean write) {
    VcpuWorker w = vcpu(v);
    long gpa = base + gfn * PAGE + READ_OFFSET;
    java.util.function.Function<GuestAgent, AgentResult> read = kvm ? agent -> agent.kvmRead(gpa)
        : write ? agent -> agent.write(base + gfn * PAGE + WRITE_OFFSET, Contents.fetched(gfn)) : agent -> agent.read(gpa);
    if (w.busy()) {
      if (!w.inFlight().isDone()) {
        throw new IllegalStateException((kvm ? "KvmAccess(v" : write ? "AccessWrite(v" : "Access(v") + v + "): vCPU " + v + " has an access in flight");
      }
      // The same gfn re-runs a stopped guest access of the same kind; KVM's own read never stops at a memory-fault
      // exit. After a MoveSlot the stopped instruction's gpa is the old one: the model's gfn is the slot's, so the
      // access starts again at the gfn's new gpa.
      if (!kvm && w.gfn() == gfn && !w.kvmRead() && writing.contains(v) == write && accessBase.getOrDefault(v, base) == base) {
        return vcpuShows(v, sleepers.await(w, w.resume()));
      }
      accessBase.put(v, base);
      setWriting(v, write);
      return vcpuShows(v, sleepers.await(w, w.restart(gfn, kvm, read)));
    }
    accessBase.put(v, base);
    setWriting(v, write);
    return vcpuShows(v, sleepers.await(w, w.start(gfn, kvm, read)));
  }

  private void setWriting(int v, boolean write) {
    if (write) writing.add(v);
    else writing.remove(v);
  }

  /**
   * A completed guest write reports the word it stored; the model's observation is the value class of the page it
   * landed on, which the VMM reads once the write is done (the page is present then).
   */
  private Observation ofWrite(int v, Observation o) {
    if (!writing.contains(v) || !(o instanceof Observation.Read)) return o;
    int g = vcpu(v).gfn();
    return new Observation.Read(Contents.classify(g, memory.readWord(g, READ_OFFSET)));
  }

  /**
   * ResumeVcpu: the exit handler lets the vCPU go on, which makes no call of its own (TRACE-FORMAT.md): it is
   * {@code Done}, and the vCPU's next Access re-enters KVM_RUN ({@link #access}: the same gfn re-runs the
   * faulting instruction).
   */
  private StepObservation resume(int v) {
    VcpuWorker w = vcpu(v);
    if (!w.busy() || !w.inFlight().isDone()) {
      throw new IllegalStateException("ResumeVcpu(v" + v + "): vCPU " + v + " is not stopped at an exit");
    }
    return shows(new Observation.Done());
  }

  // ---------------------------------------------------------------- the VMM's calls

  private StepObservation install(int gfn, boolean wake) {
    checkGfn(gfn);
    String result;
    switch (setup.uffd()) {
      case MISSING -> {
        Mapping src = source.orElseThrow();
        for (long off = 0; off < PAGE; off += 4) src.segment().set(java.lang.foreign.ValueLayout.JAVA_INT, off, Contents.fetched(gfn));
        result = mfill(() -> uffd.orElseThrow().copy(memory.hva(gfn), src.address(), PAGE, !wake));
      }
      case MINOR -> {
        memory.writeFetched(gfn);
        result = mfill(() -> uffd.orElseThrow().continueRange(memory.hva(gfn), PAGE, !wake));
      }
      default -> {
        // A plain write where no userfaultfd covers the slot: a store, nothing to return (the model's done).
        memory.writeFetched(gfn);
        return shows(new Observation.Done());
      }
    }
    return woken(installCall() + (wake ? "" : " (DONTWAKE)"), result);
  }

  /** An ioctl's result and what each vCPU asleep in userfaultfd did after it (exits remembered for their handlers). */
  private StepObservation woken(String call, String result) {
    Map<String, Observation> unblocked = new TreeMap<>();
    sleepers.withWoken(call).forEach((v, woke) -> {
      Observation o = relocated(ofWrite(v, woke));
      noteExit(v, o);
      // a woken fault that re-ran after a DELETE exits as MMIO: the VMM completes it, as the model's MmioExit does
      if (o instanceof Observation.MmioExit) o = completeMmio(v).orElse(o);
      unblocked.put(Observations.vcpuActor(v), o);
    });
    return new StepObservation(new Observation.Ioctl(result), unblocked, Target.PAGES_NOT_OBSERVED, Target.PAGES_NOT_OBSERVED);
  }

  private static String mfill(java.util.function.Supplier<MfillResult> call) {
    try {
      return switch (call.get()) {
        case MfillResult.Done d -> "ok";
        case MfillResult.Exists e -> "EEXIST";
        case MfillResult.Retry r -> "EAGAIN";
      };
    } catch (SyscallException e) {
      return e.errnoName().name();
    }
  }

  /**
   * The reader handles the message for {@code gfn}: the model's queue is a set the reader picks from, the
   * kernel's a FIFO, and a VMM's handler may read several messages before it serves one. So the first
   * message for {@code gfn} among those read so far is handed out; when none is for {@code gfn}, the oldest
   * one is (a divergence the replay reports). Nothing is waited for: every vCPU asleep in userfaultfd was
   * seen asleep after its message had been read, so every message there is has been read.
   */
  private StepObservation uffdRead(int gfn) {
    if (uffd.isEmpty()) throw new UnsupportedFeatureException("unsupported: UffdRead: no userfaultfd covers this target's slot");
    Deque<UffdEvent.Pagefault> unread = sleepers.unread;
    if (unread.stream().noneMatch(p -> memory.gfnOf(p.address()) == gfn)) sleepers.drainMessages(Duration.ZERO);
    UffdEvent.Pagefault pf = unread.stream().filter(p -> memory.gfnOf(p.address()) == gfn).findFirst().orElse(unread.peek());
    if (pf != null) unread.remove(pf);
    if (pf == null) return shows(new Observation.NoMessage());
    return shows(new Observation.UffdEvent(memory.gfnOf(pf.address()) * PAGE, pf.isMinor() ? List.of("MINOR") : List.of()));
  }

  private StepObservation uffdWake(int gfn) {
    if (uffd.isEmpty()) throw new UnsupportedFeatureException("unsupported: UffdWake: no userfaultfd covers this target's slot");
    checkGfn(gfn);
    try {
      uffd.get().wake(memory.hva(gfn), PAGE);
      return woken("UFFDIO_WAKE", "ok");
    } catch (SyscallException e) {
      return woken("UFFDIO_WAKE", e.errnoName().name());
    }
  }

  private void requireBitmap() {
    if (bitmap.isEmpty()) vm.requireUserfault(); // throws, naming the profile and the capability
  }

  /** A bitmap store (a release store when clearing): a plain memory store, nothing to return (the model's done). */
  private StepObservation bitmapStore(int gfn, boolean set) {
    requireBitmap();
    checkGfn(gfn);
    if (set) bitmap.get().set(gfn);
    else bitmap.get().clear(gfn);
    return shows(new Observation.Done());
  }

  /**
   * EnableUserfault. Without KVM_CAP_USERFAULT the kernel is asked anyway (flag 1<<3, no bitmap) so that its
   * answer is seen; EINVAL makes the step unsupported here, any other answer is reported as it is.
   */
  private StepObservation enableUserfault() {
    if (bitmap.isPresent()) return flagsOnly(() -> slot.enableUserfault(bitmap.get()));
    String reason = "unsupported: KVM_CAP_USERFAULT not offered by this kernel (" + UserfaultEvidence.ofThisKernel().describe()
        + "; UAPI profile " + vm.profile().id() + ")";
    try {
      vm.setUserMemoryRegion2Unchecked(slot.region().withFlags(slot.flags() | UapiProfile.KVM_MEM_USERFAULT));
      return ioctl("ok");
    } catch (SyscallException e) {
      if (e.is(Errno.EINVAL)) throw new UnsupportedFeatureException(reason + "; KVM_SET_USER_MEMORY_REGION2 with flag 1<<3 answered EINVAL");
      return ioctl(e.errnoName().name());
    }
  }

  private static StepObservation ioctl(String result) {
    return shows(new Observation.Ioctl(result));
  }

  private StepObservation flagsOnly(Runnable update) {
    try {
      update.run();
      return ioctl("ok");
    } catch (SyscallException e) {
      return ioctl(e.errnoName().name());
    }
  }

  private StepObservation invalidate(int gfn) {
    checkGfn(gfn);
    try {
      memory.invalidate(gfn);
      return ioctl("ok");
    } catch (SyscallException e) {
      return ioctl(e.errnoName().name());
    }
  }

  /** The call an InvalidateBegin (and its InvalidateEnd) makes on this target: MADV_DONTNEED, or a guest_memfd punch hole. */
  public String invalidateCall() {
    return memory.invalidateCall();
  }

  private StepObservation createMemslot(ApiCall.CreateMemslot c) {
    Mapping m = vm.mapAnonymous(c.pages() * PAGE, false);
    try {
      vm.setUserMemoryRegion2(MemoryRegion2.of(c.slot(), 0, c.gpa(), m.length(), m.address()), m, null);
      return ioctl("ok");
    } catch (SyscallException e) {
      return ioctl(e.errnoName().name());
    }
  }

  private StepObservation kernelWarnings() {
    Optional<List<String>> now = KernelLog.warnings();
    if (now.isEmpty()) {
      throw new UnsupportedFeatureException("unsupported: the kernel log (" + KernelLog.DEVICE + ") cannot be read here (needs root)");
    }
    List<String> all = now.get();
    List<String> fresh = all.subList(Math.min(Math.max(warningsSeen, 0), all.size()), all.size());
    warningsSeen = all.size();
    return shows(new Observation.KernelWarnings(fresh.size(), fresh.isEmpty() ? "" : fresh.getFirst()));
  }

  /**
   * The WARN records KVM logged since this VM was made or since the last call (a WARN_ON inside KVM is a bug
   * whatever the ioctl returned: R10's recovery while dirty logging is one); empty when there is none or the
   * log cannot be read (not root). Only records naming KVM's sources count, so that another program's WARN on
   * a shared host is not this VM's.
   */
  /**
   * Counts KVM's WARNs from now on: a trace's start (this VM may have been built, as the next trace's spare,
   * before the previous trace's WARN was logged).
   */
  public void warningsFromNow() {
    kvmWarningsSeen = KernelLog.warnings().map(w -> kvmWarnings(w).size()).orElse(-1);
  }

  public Optional<Observation.KernelWarnings> newKvmWarnings() {
    if (kvmWarningsSeen < 0) return Optional.empty();
    Optional<List<String>> now = KernelLog.warnings().map(KernelVm::kvmWarnings);
    if (now.isEmpty()) return Optional.empty();
    List<String> all = now.get();
    if (all.size() <= kvmWarningsSeen) {
      kvmWarningsSeen = all.size(); // the ring dropped old records
      return Optional.empty();
    }
    List<String> fresh = all.subList(kvmWarningsSeen, all.size());
    kvmWarningsSeen = all.size();
    return Optional.of(new Observation.KernelWarnings(fresh.size(), fresh.getFirst()));
  }

  static List<String> kvmWarnings(List<String> warnings) {
    return warnings.stream().filter(w -> w.contains("/kvm/") || w.contains("kvm_")).toList();
  }

  /**
   * KVM's count of 2M stage-2 mappings where it is the slot's, as the model counts them; {@link
   * Target#PAGES_NOT_OBSERVED} where this kernel cannot say. The VM-wide pages_2m is the slot's (the guest
   * agent's code is one 4 KiB page of its own slot, and the slot is the one 2 MiB frame at {@link #BASE_GPA}).
   * A count above 0 is always observed: KVM mapped the frame huge. A count of 0 is observed only where KVM
   * could have mapped it huge, i.e. the host backs the frame with a transparent huge page (anonymous memory
   * without userfaultfd; UFFDIO_COPY installs 4 KiB pages, guest_memfd allocates order-0 folios): elsewhere 0
   * says nothing about the model's frame, and a KVM that does not count (kvm_pvm reads 0) is never compared.
   * Without KVM_CAP_BINARY_STATS_FD or a pages_2m statistic: not observed.
   */
  public int hugeMappings() {
    if (stats == null) {
      if (kvm.checkExtension(KvmCap.BINARY_STATS_FD) <= 0) return Target.PAGES_NOT_OBSERVED;
      stats = vm.stats();
    }
    java.util.OptionalLong n = stats.find("pages_2m");
    if (n.isEmpty()) return Target.PAGES_NOT_OBSERVED;
    if (n.getAsLong() > 0) return (int) n.getAsLong();
    boolean thpCapable = setup.kind() == SlotKind.ANON && setup.uffd() == UffdMode.NONE;
    return thpCapable && HostThp.anonHugeKb(hostAddress()) >= 2048 ? 0 : Target.PAGES_NOT_OBSERVED;
  }

  /** KVM's stage-2 mapping counts of the whole VM (the guest agent's pages too) as the observation's page counts. */
  private StepObservation mappings() {
    if (stats == null) {
      if (kvm.checkExtension(KvmCap.BINARY_STATS_FD) <= 0) {
        throw new UnsupportedFeatureException("unsupported: KVM_CAP_BINARY_STATS_FD not offered by this kernel");
      }
      stats = vm.stats();
    }
    if (stats.find("pages_2m").isEmpty()) {
      throw new UnsupportedFeatureException("unsupported: this KVM has no pages_2m statistic " + stats.descriptors().keySet());
    }
    return new StepObservation(new Observation.Done(), Map.of(), (int) stats.find("pages_4k").orElse(0), (int) stats.read("pages_2m"));
  }

  // ---------------------------------------------------------------- helpers

  private VcpuWorker vcpu(int v) {
    if (v < 0 || v >= vcpus.size()) throw new IllegalArgumentException("no vCPU " + v + " (target has " + vcpus.size() + ")");
    return vcpus.get(v);
  }

  private void checkGfn(int gfn) {
    if (gfn < 0 || gfn >= setup.pages()) throw new IllegalArgumentException("g" + gfn + " is outside the slot (" + setup.pages() + " pages)");
  }

  /**
   * Closes the userfaultfd first (a vCPU asleep in it then completes its fault), waits for the vCPU threads,
   * then the VM; memory goes last. A vCPU thread that does not stop leaves the VM open (leaked, not unmapped
   * under a running guest).
   */
  @Override
  public void close() {
    uffd.ifPresent(Userfaultfd::close);
    boolean stopped = true;
    for (VcpuWorker w : vcpus) {
      try {
        stopped &= w.shutdown(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        stopped = false;
      }
    }
    if (!stopped) return;
    vm.close();
    bitmap.ifPresent(UserfaultBitmap::close);
    source.ifPresent(Mapping::close);
    memory.close();
    kvm.close();
  }
}
