package kvmuf.conform;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import kvmuf.kvm.UapiProfile;
import kvmuf.kvm.UnsupportedFeatureException;
import kvmuf.sys.Libc;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.Observation;
import kvmuf.model.StepObservation;
import kvmuf.trace.Target;
import kvmuf.trace.TraceHeader;

/**
 * The real kernel as a {@link Target}: the one kernel target, for model-generated traces and for the named
 * rules. Each trace gets a fresh {@link KernelVm} (VM, one memslot of {@link TargetSetup#PAGES_2M} pages whose
 * first NumGfns pages are the model's gfns, userfaultfd in the config's mode, one vCPU per model vCPU); a rule
 * gets one built to its {@link TargetSetup}. Each action becomes its kernel call ({@link KernelVm#step}) and
 * comes back as a {@link StepObservation} in the model's own terms:
 * <ul>
 *   <li>a completed guest read: {@code read} with its value class; a memory_fault exit: {@code
 *       memory_fault_exit} at gfn * 4096 (relative to the slot) with {@code USERFAULT} when the flag bit is
 *       set; a vCPU asleep in userfaultfd: {@code uffd_blocked} at gfn * 4096;</li>
 *   <li>UFFDIO_COPY / UFFDIO_WAKE / MADV_DONTNEED / memslot updates: {@code ioctl} with the result, the vCPUs
 *       they woke as {@code unblocked} ({@code vcpuN}); a plain install and bitmap stores: {@code done};</li>
 *   <li>a uffd message: {@code uffd_event} at gfn * 4096 ({@code MINOR} flag);</li>
 *   <li>a flags-only memslot update runs on its own thread; when that thread sleeps in synchronize_srcu while
 *       a vCPU sleeps in userfaultfd (it holds kvm->srcu) it is {@code srcu_wait} ({@link SleepEvidence}).
 *       After each later step it shows as {@code unblocked} {@code vmm} once it returns: it must return when
 *       none of the vCPUs that slept when it started sleeps in the same KVM_RUN any more (waited for), and
 *       cannot while one does (not waited for). A return between steps, with nothing to release it, is
 *       reported as what the kernel did ({@code other_exit});</li>
 *   <li>anything the model has no word for (an MMIO or other exit, no progress, no message) is the model
 *       type's kernel-only kinds ({@code mmio_exit}, {@code other_exit}, {@code no_progress}, {@code
 *       no_message}): the model never allows them, so the replay reports a divergence showing what the kernel did.</li>
 * </ul>
 *
 * <p>Mapping counts: the model counts stage-2 mappings of its NumGfns gfns, the kernel's pages_4k / pages_2m
 * count every mapping of the VM (the guest agent's own code page too), and some KVMs (kvm_pvm) keep them at 0.
 * A trace step reports pages_2m where the kernel's count is the model's ({@link KernelVm#hugeMappings}: any 2M
 * mapping; 0 only where the host backs the frame with a THP, so that KVM could have mapped it huge) and
 * pages_4k as {@link Target#PAGES_NOT_OBSERVED}; the replayer compares what was observed (TRACE-FORMAT.md,
 * "Mapping counts on a kernel"). The named rules read both with {@link ApiCall.ReadMappings}, relative to a
 * baseline.
 *
 * <p>Kernel WARNs: a KVM WARN record logged during a trace step is that step's observation ({@code
 * kernel_warnings}), so a trace during which KVM warns diverges there.
 *
 * <p>Set-up: under a profile that validates the bitmap pointer, each trace's VM is first asked for USERFAULT
 * with a kernel-half bitmap pointer ({@link KernelVm#setupDeviation}); a kernel that does not answer EINVAL
 * shows it as the first step's {@code other_exit} ("trace set-up: ..."), which the model never allows.
 *
 * <p>ResumeVcpu performs no call: it is {@code done} (as in the model), and the vCPU's next Access re-enters
 * KVM_RUN (the same gfn re-runs the faulting instruction; another gfn first gives the stopped access up).
 *
 * <p>UserfaultUse = start: the slot is created with KVM_MEM_USERFAULT and every bit set; guest_memfd slots
 * (GUEST_MEMFD_FLAG_MMAP | INIT_SHARED) get fetched pages written through the VMM's mapping (Install and
 * FetchInstall, UffdMode = none). KvmAccess is KVM's own read (the guest agent's string I/O, emulated by KVM).
 *
 * <p>Unsupported, per step, never passed: bitmap stores and USERFAULT enables without KVM_CAP_USERFAULT, and
 * every step of a trace whose config this kernel cannot set up (kernel async PF, another architecture,
 * guest_memfd with userfaultfd, guest_memfd without MMAP/INIT_SHARED, UserfaultUse = start without
 * KVM_CAP_USERFAULT, ...). The replayer stops a trace at its first unsupported step.
 */
public final class KernelTarget implements Target {
  /** What {@link #perform} answers for a step the kernel cannot run (compared by identity, never reported). */
  private static final StepObservation UNSUPPORTED = KernelVm.shows(new Observation.OtherExit("unsupported"));

  private final Optional<UapiProfile> profile;
  private final Duration hung;
  private final ExecutorService vmmThread = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "kvmuf-trace-vmm");
    t.setDaemon(true);
    return t;
  });
  private final ExecutorService closer = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "kvmuf-trace-closer");
    t.setDaemon(true);
    return t;
  });
  private CompletableFuture<Void> closing = CompletableFuture.completedFuture(null);
  /** The next trace's kernel target, built while this trace runs (the same setup as this one; most traces share it). */
  private CompletableFuture<KernelVm> spare;
  private TargetSetup spareSetup;
  private KernelVm kernel;
  private Config config;
  private String setupUnsupported;
  /** Set by the stepping thread or the VMM thread (a memslot update), read after it joined. */
  private volatile String lastUnsupported;
  private CompletableFuture<StepObservation> pendingMemslot;
  /** The vCPUs asleep in userfaultfd (with their KVM_RUN's token) when the pending memslot update started. */
  private Map<Integer, Object> pendingReaders = Map.of();
  private int vmmTid;
  /** SRCU's worker has run since the pending update went to sleep in synchronize_srcu (its index flip is done). */
  private boolean srcuFlipped;
  private long kernelSteps;
  /** Steps of the current trace that came back (the first one shows a set-up deviation). */
  private int traceSteps;

  public KernelTarget(Optional<UapiProfile> profile) {
    this(profile, SleepEvidence.DEFAULT_HUNG);
  }

  /** @param hung how long a step may make no progress before it is reported as a hung kernel */
  public KernelTarget(Optional<UapiProfile> profile, Duration hung) {
    this.profile = profile;
    this.hung = hung;
  }

  @Override
  public String name() {
    return "host";
  }

  @Override
  public void start(TraceHeader header) {
    closeKernel();
    config = header.config();
    traceSteps = 0;
    setupUnsupported = unsupportedConfig(config);
    if (setupUnsupported != null) {
      return;
    }
    try {
      TargetSetup setup = new TargetSetup(config.vcpus(), Math.max(TargetSetup.PAGES_2M, config.numGfns()), config.slotKind(),
          config.uffdMode(), false, profile, config.userfaultUse() == Config.UserfaultUse.START,
          // Only an enable of USERFAULT zaps (the dirty-log changes write-protect): SlotZap matters where USERFAULT is used.
          config.slotZap() == Config.SlotZap.MEMSLOT && config.userfaultUse() != Config.UserfaultUse.NONE);
      kernel = takeSpare(setup).orElseGet(() -> KernelVm.open(setup)).withHungTimeout(hung);
      kernel.warningsFromNow();
      buildSpare(setup);
    } catch (UnsupportedFeatureException e) {
      setupUnsupported = e.getMessage().replaceFirst("^unsupported: ", "");
    } catch (IllegalArgumentException e) {
      setupUnsupported = "this target cannot build config " + config.name() + ": " + e.getMessage();
    }
  }

  /**
   * Starts a fresh VM built to {@code setup} for a named rule (no trace header: the rule's own model config, if
   * any, lives in its {@link RuleRun}). Throws {@link UnsupportedFeatureException} (or the adapter's
   * SyscallException) when this machine cannot build it, for the rule to report.
   */
  public void start(TargetSetup setup) {
    closeKernel();
    config = null;
    setupUnsupported = null;
    kernel = KernelVm.open(profile.isPresent() ? setup.withProfile(profile) : setup).withHungTimeout(hung);
  }

  /** The VM of the current trace or rule. */
  public KernelVm vm() {
    if (kernel == null) throw new IllegalStateException("the kernel target has no VM (not started, or its setup is unsupported)");
    return kernel;
  }

  public UapiProfile profile() {
    return vm().profile();
  }

  /** The host virtual address of gfn 0 in the guest's view of the slot. */
  public long hostAddress() {
    return vm().hostAddress();
  }

  /** Why this kernel target cannot replay config {@code c} at all, or null. */
  public static String unsupportedConfig(Config c) {
    if (c.asyncPf() == Config.AsyncPf.KERNEL) {
      return "config " + c.name() + " has AsyncPf = kernel: whether KVM takes an async page fault is not under the VMM's control";
    }
    // UserfaultUse = start: the slot is created with USERFAULT and every bit set (TargetSetup#userfaultAtStart).
    // Invalidations: a fault an invalidation raced with is retried inside KVM_RUN, as the model's Refault does (the
    // same hidden step), so what the vCPU shows is the re-run fault's outcome, which a real vCPU shows too.
    if (c.slotKind() == Config.SlotKind.GMEM_PRIVATE) {
      // Not yet built here: a KVM_X86_SW_PROTECTED_VM with KVM_SET_MEMORY_ATTRIBUTES(PRIVATE) on the slot. Even
      // then the VMM could not write private guest_memfd pages (no mmap of private memory, no populate ioctl for
      // that VM type), so the model's Install and FetchInstall would stay unsupported on it.
      return "config " + c.name() + " has SlotKind = gmem-private: this target creates no KVM_X86_SW_PROTECTED_VM"
          + " and sets no memory attributes";
    }
    if (c.remoteAccessor() != Config.RemoteAccessor.NONE) {
      return "config " + c.name() + " has a remote accessor: this target has no second process mapping guest memory";
    }
    if (c.arch() != ModelConfigs.hostArch()) {
      return "config " + c.name() + " is for " + c.arch() + ", this host is " + ModelConfigs.hostArch();
    }
    return null;
  }

  @Override
  public Optional<String> unsupported() {
    return Optional.ofNullable(lastUnsupported);
  }

  /** Kernel steps performed since this target was made (all traces). */
  public long kernelSteps() {
    return kernelSteps;
  }

  @Override
  public Optional<StepObservation> step(Action action) {
    lastUnsupported = null;
    if (setupUnsupported != null) {
      return unsupported(setupUnsupported);
    }
    if (!action.visible()) {
      return unsupported(action.name() + " has no kernel step");
    }
    // Memslot updates (flags-only ones, DELETE, MOVE) may wait in synchronize_srcu: on the VMM thread.
    boolean memslot = action instanceof Action.EnableUserfault || action instanceof Action.DisableUserfault
        || action instanceof Action.EnableDirtyLog || action instanceof Action.DisableDirtyLog
        || action instanceof Action.DeleteSlot || action instanceof Action.MoveSlot;
    kernelSteps++;
    StepObservation o;
    Map<String, Observation> unblocked = new TreeMap<>();
    if (memslot) {
      if (pendingMemslot != null) {
        return unsupported(action.name() + ": an earlier memslot update has not returned yet");
      }
      Map<Integer, Object> readers = kernel.uffdSleepers();
      int tid = vmmTid(); // before the update: it may keep the VMM thread busy
      CompletableFuture<StepObservation> f = SleepEvidence.watched(CompletableFuture.supplyAsync(() -> perform(action), vmmThread));
      Optional<StepObservation> done = memslotOutcome(f, tid, !readers.isEmpty());
      if (done.isEmpty()) {
        pendingMemslot = f;
        pendingReaders = readers;
        srcuFlipped = false;
        return Optional.of(KernelVm.shows(new Observation.SrcuWait()));
      }
      o = done.get();
    } else {
      if (pendingMemslot != null && !srcuFlipped && (action instanceof Action.Access || action instanceof Action.KvmAccess)) {
        // A vCPU about to fault (a guest access, or KVM reading for it) while an update waits: SRCU's worker must
        // have flipped the reader index first, so that this vCPU is a new reader the update does not wait for (the
        // model's generations); one that
        // faulted before the flip would hold the update up as well.
        try {
          kernel.evidence().untilSrcuWorkerRan();
          srcuFlipped = true;
        } catch (SleepEvidence.Hung e) {
          return Optional.of(KernelVm.shows(new Observation.NoProgress(e.getMessage())));
        }
      }
      boolean returnedBetweenSteps = pendingMemslot != null && pendingMemslot.isDone();
      o = perform(action);
      if (pendingMemslot != null) {
        Optional<StepObservation> done = returnedBetweenSteps ? Optional.of(join(pendingMemslot)) : pendingOutcome();
        if (done.isPresent()) {
          pendingMemslot = null;
          pendingReaders = Map.of();
          unblocked.put("vmm", returnedBetweenSteps
              ? new Observation.OtherExit("the srcu_wait memslot update returned before this step, with a vCPU it "
                  + "waited for still asleep in userfaultfd (" + done.get().show() + ")")
              : done.get().result());
        }
      }
    }
    if (o == UNSUPPORTED) {
      return unsupported(lastUnsupported);
    }
    unblocked.putAll(o.unblocked());
    return Optional.of(config == null ? new StepObservation(o.result(), unblocked, o.pages4k(), o.pages2m()) : traceStep(o.result(), unblocked));
  }

  /**
   * A trace step's observation: a KVM WARN logged during the step replaces its result ({@code kernel_warnings},
   * which the model never allows: a WARN inside KVM is a bug whatever the call returned), and the mapping
   * counts where the kernel's say what the model's say: pages_2m as {@link KernelVm#hugeMappings} observes it
   * when the config has one huge frame (its HugeSpan gfns are the slot's first pages, inside its one 2 MiB
   * frame; with more frames the kernel's one 2M mapping would cover several of the model's), pages_4k never
   * (the VM-wide count includes the guest agent's code page, which a zap of every root on enable drops until
   * the next guest entry maps it again, so the slot's share is not known exactly).
   */
  private StepObservation traceStep(Observation result, Map<String, Observation> unblocked) {
    if (traceSteps++ == 0 && kernel.setupDeviation().isPresent()) {
      return new StepObservation(new Observation.OtherExit("trace set-up: " + kernel.setupDeviation().get()), Map.of(),
          PAGES_NOT_OBSERVED, PAGES_NOT_OBSERVED);
    }
    Optional<Observation.KernelWarnings> warned = kernel.newKvmWarnings();
    if (warned.isPresent()) return new StepObservation(warned.get(), Map.of(), PAGES_NOT_OBSERVED, PAGES_NOT_OBSERVED);
    int huge = observesHuge(config) ? kernel.hugeMappings() : PAGES_NOT_OBSERVED;
    return new StepObservation(result, unblocked, PAGES_NOT_OBSERVED, huge);
  }

  /** Whether a trace step of config {@code c} reports pages_2m (one huge frame: the kernel's count is the model's). */
  private static boolean observesHuge(Config c) {
    return c.numGfns() == c.hugeSpan();
  }

  /**
   * What a trace step of config {@code c} shows of the model's observation {@code o} on a kernel: pages_4k never,
   * pages_2m where {@link #observesHuge} (a search for a trace that tells a bug apart compares only this).
   */
  public static StepObservation asObserved(Config c, StepObservation o) {
    return new StepObservation(o.result(), o.unblocked(), PAGES_NOT_OBSERVED, observesHuge(c) ? o.pages2m() : PAGES_NOT_OBSERVED);
  }

  /**
   * A call outside the model (a named rule's UAPI step) on the current VM; empty with {@link #unsupported} when
   * this kernel cannot make it.
   */
  public Optional<StepObservation> call(ApiCall call) {
    lastUnsupported = null;
    kernelSteps++;
    try {
      return Optional.of(vm().call(call));
    } catch (UnsupportedFeatureException e) {
      return unsupported(e.getMessage().replaceFirst("^unsupported: ", ""));
    }
  }

  /**
   * The model took {@code action} without the kernel and says it showed {@code shown} (a rule reaching the
   * model state the kernel is put in directly): a memory-fault exit there is the one its exit handler's
   * Install and ClearBit act on.
   */
  public void assume(Action action, StepObservation shown) {
    if (shown.result() instanceof Observation.MemoryFaultExit m && action.actingVcpu() >= 0) {
      vm().assumeExit(action.actingVcpu(), (int) (m.gpa() / KernelVm.PAGE));
    }
  }

  /**
   * The kernel step; a step the kernel target refuses in its state (an access on a vCPU that has one in
   * flight, a gfn outside the slot: a trace the model does not enable there) comes back as an observation the
   * model never allows, so the replay reports it as a divergence rather than a crash. {@link #UNSUPPORTED}
   * when the kernel cannot run it (the reason in lastUnsupported).
   */
  private StepObservation perform(Action a) {
    try {
      return kernel.step(a);
    } catch (UnsupportedFeatureException e) {
      lastUnsupported = e.getMessage().replaceFirst("^unsupported: ", "");
      return UNSUPPORTED;
    } catch (IllegalStateException | IllegalArgumentException e) {
      return KernelVm.shows(new Observation.OtherExit("the kernel target refused " + a.show() + ": " + e.getMessage()));
    }
  }

  private Optional<StepObservation> unsupported(String reason) {
    lastUnsupported = reason;
    return Optional.empty();
  }

  /**
   * A memslot update just started: its result once it returns, or empty (srcu_wait) once its thread sleeps in
   * synchronize_srcu while vCPUs sleep in userfaultfd ({@code readers}). Without sleepers it can only return.
   */
  private Optional<StepObservation> memslotOutcome(CompletableFuture<StepObservation> f, int tid, boolean readers) {
    try {
      return kernel.evidence().until("the memslot update neither returned nor slept in synchronize_srcu", () -> {
        if (f.isDone()) return Optional.of(Optional.of(join(f)));
        if (readers && SleepEvidence.asleepIn(tid, SleepEvidence.SRCU).isPresent()) return Optional.of(Optional.<StepObservation>empty());
        return Optional.empty();
      });
    } catch (SleepEvidence.Hung e) {
      return Optional.of(KernelVm.shows(new Observation.NoProgress(e.getMessage())));
    }
  }

  /**
   * After a step, the pending memslot update: its result when it has returned, or must return because none
   * of the vCPUs it waits for still sleeps in the KVM_RUN it slept in then (waited for); empty while one does.
   */
  private Optional<StepObservation> pendingOutcome() {
    if (pendingMemslot.isDone()) return Optional.of(join(pendingMemslot));
    Map<Integer, Object> now = kernel.uffdSleepers();
    boolean held = pendingReaders.entrySet().stream().anyMatch(e -> now.get(e.getKey()) == e.getValue());
    if (held) return Optional.empty();
    CompletableFuture<StepObservation> f = pendingMemslot;
    try {
      return Optional.of(kernel.evidence().until("the memslot update did not return after its SRCU readers left",
          () -> f.isDone() ? Optional.of(join(f)) : Optional.empty()));
    } catch (SleepEvidence.Hung e) {
      return Optional.of(KernelVm.shows(new Observation.NoProgress(e.getMessage())));
    }
  }

  /** The thread the memslot updates run on (its tid, to read its state). */
  private int vmmTid() {
    if (vmmTid == 0) vmmTid = join(CompletableFuture.supplyAsync(Libc::gettid, vmmThread));
    return vmmTid;
  }

  private static <T> T join(CompletableFuture<T> f) {
    try {
      return f.get();
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException r) throw r;
      throw new IllegalStateException(c);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** The spare kernel target when it was built for {@code setup}; a spare for another setup is closed. */
  private Optional<KernelVm> takeSpare(TargetSetup setup) {
    CompletableFuture<KernelVm> f = spare;
    spare = null;
    if (f == null) return Optional.empty();
    if (setup == null || !setup.equals(spareSetup)) {
      closing = closing.thenRunAsync(() -> {
        try {
          f.join().close();
        } catch (RuntimeException e) {
          // it was never built
        }
      }, closer);
      return Optional.empty();
    }
    try {
      return Optional.of(f.join());
    } catch (RuntimeException e) {
      return Optional.empty(); // opened again in the caller, which reports why it cannot be built
    }
  }

  private void buildSpare(TargetSetup setup) {
    spareSetup = setup;
    spare = CompletableFuture.supplyAsync(() -> KernelVm.open(setup), closer);
  }

  /**
   * Hands the trace's kernel target to the closer thread (tearing a VM down takes longer than building the
   * next one) and forgets it; {@link #close} waits for every VM to be closed.
   */
  private void closeKernel() {
    if (kernel != null) {
      KernelVm k = kernel;
      CompletableFuture<StepObservation> pending = pendingMemslot;
      closing = closing.thenRunAsync(() -> {
        k.close(); // closes the userfaultfd first: sleepers finish, a pending memslot update returns
        if (pending != null) {
          try {
            pending.get(10, TimeUnit.SECONDS);
          } catch (Exception ignored) {
            // the VM is gone either way
          }
        }
      }, closer);
      kernel = null;
    }
    pendingMemslot = null;
    pendingReaders = Map.of();
  }

  @Override
  public void close() {
    closeKernel();
    takeSpare(null);
    try {
      closing.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      // a VM that does not close is left to the process's exit
    }
    closer.shutdownNow();
    vmmThread.shutdownNow();
  }
}
