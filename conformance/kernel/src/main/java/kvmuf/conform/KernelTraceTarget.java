package kvmuf.conform;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
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
import kvmuf.model.Observations;
import kvmuf.model.StepObservation;
import kvmuf.model.ValueClass;
import kvmuf.trace.Target;
import kvmuf.trace.TraceHeader;

/**
 * The real kernel as a {@link Target} for model-generated traces: each trace gets a fresh {@link KernelTarget}
 * (VM, one memslot of {@link TargetSetup#PAGES_2M} pages whose first NumGfns pages are the model's gfns,
 * userfaultfd in the config's mode, one vCPU per model vCPU), each action becomes its kernel step
 * ({@link Steps#of}) and each kernel {@link Observation} becomes a {@link StepObservation} as {@link Target}
 * says:
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
 *       reported as what the kernel did ({@code kernel: ...});</li>
 *   <li>anything the model has no word for (an MMIO or other exit, no progress, no message) becomes an
 *       {@code ioctl} whose result starts with {@code "kernel: "}: the model never allows it, so the replay
 *       reports a divergence showing what the kernel did.</li>
 * </ul>
 *
 * <p>Mapping counts: the model counts stage-2 mappings of its NumGfns gfns, the kernel's pages_4k / pages_2m
 * count every mapping of the VM (the guest agent's own pages too), and some KVMs (kvm_pvm) keep them at 0.
 * This target therefore reports {@link Target#PAGES_NOT_OBSERVED}; the replayer compares the rest and counts
 * the step's pages as unchecked (the named rule dirty-log-huge-mappings checks 2M mappings where the host
 * can show them).
 *
 * <p>ResumeVcpu performs no call: the kernel target answers {@code Done} (as for the named rules), and the
 * vCPU's next Access re-enters KVM_RUN (the same gfn re-runs the faulting instruction; another gfn first gives
 * the stopped access up).
 *
 * <p>Unsupported, per step, never passed: KvmAccess (the guest agent cannot make KVM read), bitmap stores
 * and USERFAULT enables without KVM_CAP_USERFAULT, and every step of a trace whose config
 * this kernel cannot set up (kernel async PF, another architecture, guest_memfd with userfaultfd, ...). The
 * replayer stops a trace at its first unsupported step.
 */
public final class KernelTraceTarget implements Target {
  private static final String UNEXPECTED = "kernel: ";

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
  private CompletableFuture<KernelTarget> spare;
  private TargetSetup spareSetup;
  private KernelTarget kernel;
  private Config config;
  private String setupUnsupported;
  private String lastUnsupported;
  private CompletableFuture<Observation> pendingMemslot;
  /** The vCPUs asleep in userfaultfd (with their KVM_RUN's token) when the pending memslot update started. */
  private Map<Integer, Object> pendingReaders = Map.of();
  private int vmmTid;
  /** SRCU's worker has run since the pending update went to sleep in synchronize_srcu (its index flip is done). */
  private boolean srcuFlipped;
  private final Map<Integer, Integer> exitGfn = new HashMap<>();
  private long kernelSteps;

  public KernelTraceTarget(Optional<UapiProfile> profile) {
    this(profile, SleepEvidence.DEFAULT_HUNG);
  }

  /** @param hung how long a step may make no progress before it is reported as a hung kernel */
  public KernelTraceTarget(Optional<UapiProfile> profile, Duration hung) {
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
    exitGfn.clear();
    setupUnsupported = unsupportedConfig(config);
    if (setupUnsupported != null) {
      return;
    }
    try {
      TargetSetup setup = new TargetSetup(config.vcpus(), Math.max(TargetSetup.PAGES_2M, config.numGfns()), config.slotKind(),
          config.uffdMode(), false, profile);
      kernel = takeSpare(setup).orElseGet(() -> KernelTarget.open(setup)).withHungTimeout(hung);
      buildSpare(setup);
    } catch (UnsupportedFeatureException e) {
      setupUnsupported = e.getMessage().replaceFirst("^unsupported: ", "");
    } catch (IllegalArgumentException e) {
      setupUnsupported = "this target cannot build config " + config.name() + ": " + e.getMessage();
    }
  }

  /** Why this kernel target cannot replay config {@code c} at all, or null. */
  public static String unsupportedConfig(Config c) {
    if (c.asyncPf() == Config.AsyncPf.KERNEL) {
      return "config " + c.name() + " has AsyncPf = kernel: whether KVM takes an async page fault is not under the VMM's control";
    }
    if (c.userfaultUse() == Config.UserfaultUse.START) {
      return "config " + c.name() + " has UserfaultUse = start (USERFAULT on and every bit set before the first step): "
          + "this target creates its slot without USERFAULT and marks gfns only as SetBit steps (configs with \"late\")";
    }
    if (c.maxInvalidate() > 0) {
      return "config " + c.name() + " allows invalidations: the model's retry of an access an invalidation raced with "
          + "is invisible on a real vCPU, whose re-executed access just completes (not folded into the next step yet)";
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
    Optional<Step> step = Steps.of(action, v -> exitGfn.getOrDefault(v, -1));
    if (step.isEmpty()) {
      return unsupported(action.name() + " has no kernel step");
    }
    if ((action instanceof Action.Install || action instanceof Action.ClearBit) && step.get() instanceof Step.Install i && i.gfn() < 0
        || step.get() instanceof Step.ClearBit c && c.gfn() < 0) {
      return unsupported(action.name() + ": the vCPU has no memory_fault exit to act on");
    }
    boolean memslot = step.get() instanceof Step.EnableUserfault || step.get() instanceof Step.DisableUserfault
        || step.get() instanceof Step.EnableDirtyLog || step.get() instanceof Step.DisableDirtyLog;
    kernelSteps++;
    Observation o;
    Map<String, kvmuf.model.Observation> unblocked = new TreeMap<>();
    if (memslot) {
      if (pendingMemslot != null) {
        return unsupported(action.name() + ": an earlier memslot update has not returned yet");
      }
      Map<Integer, Object> readers = kernel.uffdSleepers();
      if (step.get() instanceof Step.EnableUserfault && !readers.isEmpty() && config.slotZap() == Config.SlotZap.MEMSLOT) {
        // Found on our 7.3 reference kernel (CI, seed 1 trace 78): x86 KVM retries a fault that sleeps in
        // userfaultfd across the commit of this enable (the zap, under KVM_X86_QUIRK_SLOT_ZAP_ALL, obsoletes every
        // root), and the retried fault exits on a bit set meanwhile; with SlotZap = memslot the model lets that
        // fault complete, and with SlotZap = all it ends in a Retry the kernel never shows (the retry stays inside
        // KVM_RUN). Until the model folds that retry into the wake, the kernel's answer here cannot be checked.
        return unsupported("EnableUserfault while vCPU " + readers.keySet().iterator().next() + " sleeps in userfaultfd: x86 KVM "
            + "retries that fault across the zap on enable (KVM_X86_QUIRK_SLOT_ZAP_ALL) and may exit on a bit set meanwhile, "
            + "which this config's model (SlotZap = memslot) does not allow");
      }
      int tid = vmmTid(); // before the update: it may keep the VMM thread busy
      CompletableFuture<Observation> f = SleepEvidence.watched(CompletableFuture.supplyAsync(() -> perform(step.get()), vmmThread));
      Optional<Observation> done = memslotOutcome(f, tid, !readers.isEmpty());
      if (done.isEmpty()) {
        pendingMemslot = f;
        pendingReaders = readers;
        srcuFlipped = false;
        return Optional.of(observation(new kvmuf.model.Observation.SrcuWait(), unblocked));
      }
      o = done.get();
    } else {
      if (pendingMemslot != null && !srcuFlipped && step.get() instanceof Step.Access) {
        // A vCPU about to fault while an update waits: SRCU's worker must have flipped the reader index first,
        // so that this vCPU is a new reader the update does not wait for (the model's generations); one that
        // faulted before the flip would hold the update up as well.
        try {
          kernel.evidence().untilSrcuWorkerRan();
          srcuFlipped = true;
        } catch (SleepEvidence.Hung e) {
          return Optional.of(observation(unexpected(new Observation.NoProgress(e.getMessage())), unblocked));
        }
      }
      boolean returnedBetweenSteps = pendingMemslot != null && pendingMemslot.isDone();
      o = perform(step.get());
      if (pendingMemslot != null) {
        Optional<Observation> done = returnedBetweenSteps ? Optional.of(join(pendingMemslot)) : pendingOutcome();
        if (done.isPresent()) {
          pendingMemslot = null;
          pendingReaders = Map.of();
          unblocked.put("vmm", returnedBetweenSteps
              ? unexpected(new Observation.OtherExit("the srcu_wait memslot update returned before this step, with a vCPU it "
                  + "waited for still asleep in userfaultfd (" + done.get().show() + ")"))
              : done.get() instanceof Observation.Ioctl i ? new kvmuf.model.Observation.Ioctl(i.result()) : unexpected(done.get()));
        }
      }
    }
    if (o instanceof Observation.Unsupported u) {
      return unsupported(u.reason().replaceFirst("^unsupported: ", ""));
    }
    kvmuf.model.Observation result = switch (action) {
      case Action.Access a -> access(a.vcpu(), o);
      case Action.Install x when config.uffdMode() == Config.UffdMode.NONE ->
          o instanceof Observation.Ioctl i && i.result().equals("ok") ? new kvmuf.model.Observation.Done() : unexpected(o);
      case Action.SetBit x -> done(o);
      case Action.ClearBit x -> done(o);
      case Action.ResumeVcpu x -> o instanceof Observation.Done ? new kvmuf.model.Observation.Done() : unexpected(o);
      case Action.UffdRead x -> o instanceof Observation.UffdMessage m
          ? new kvmuf.model.Observation.UffdEvent(m.gfn() * kvmuf.model.Observation.PAGE_SIZE, m.minor() ? List.of("MINOR") : List.of())
          : unexpected(o);
      default -> o instanceof Observation.Ioctl i ? new kvmuf.model.Observation.Ioctl(i.result()) : unexpected(o);
    };
    if (o instanceof Observation.Ioctl i) {
      i.woken().forEach((v, w) -> unblocked.put(Observations.vcpuActor(v), woken(v, w)));
    }
    return Optional.of(observation(result, unblocked));
  }

  /**
   * The kernel step; a step the kernel target refuses in its state (an access on a vCPU that has one in
   * flight, a gfn outside the slot: a trace the model does not enable there) comes back as an observation the
   * model never allows, so the replay reports it as a divergence rather than a crash.
   */
  private Observation perform(Step s) {
    try {
      return kernel.step(s);
    } catch (IllegalStateException | IllegalArgumentException e) {
      return new Observation.OtherExit("the kernel target refused " + s.show() + ": " + e.getMessage());
    }
  }

  private static StepObservation observation(kvmuf.model.Observation result, Map<String, kvmuf.model.Observation> unblocked) {
    return new StepObservation(result, unblocked, PAGES_NOT_OBSERVED, PAGES_NOT_OBSERVED);
  }

  private Optional<StepObservation> unsupported(String reason) {
    lastUnsupported = reason;
    return Optional.empty();
  }

  private kvmuf.model.Observation access(int vcpu, Observation o) {
    return switch (o) {
      case Observation.Value v -> new kvmuf.model.Observation.Read(v.value());
      case Observation.MemoryFault m -> {
        int gfn = (int) ((m.gpa() - KernelTarget.BASE_GPA) / KernelTarget.PAGE);
        exitGfn.put(vcpu, gfn);
        yield new kvmuf.model.Observation.MemoryFaultExit(m.gpa() - KernelTarget.BASE_GPA, m.size(),
            (m.flags() & UapiProfile.KVM_MEMORY_EXIT_FLAG_USERFAULT) != 0 ? List.of("USERFAULT") : List.of());
      }
      case Observation.Blocked b -> new kvmuf.model.Observation.UffdBlocked(b.gfn() * kvmuf.model.Observation.PAGE_SIZE);
      default -> unexpected(o);
    };
  }

  private kvmuf.model.Observation woken(int vcpu, Observation o) {
    return switch (o) {
      case Observation.Value v -> new kvmuf.model.Observation.Read(v.value());
      case Observation.Blocked b -> new kvmuf.model.Observation.UffdBlocked(b.gfn() * kvmuf.model.Observation.PAGE_SIZE);
      case Observation.MemoryFault m -> access(vcpu, m);
      default -> unexpected(o);
    };
  }

  private static kvmuf.model.Observation done(Observation o) {
    return o instanceof Observation.Ioctl i && i.result().equals("ok") ? new kvmuf.model.Observation.Done() : unexpected(o);
  }

  private static kvmuf.model.Observation unexpected(Observation o) {
    return new kvmuf.model.Observation.Ioctl(UNEXPECTED + o.show());
  }

  /**
   * A memslot update just started: its result once it returns, or empty (srcu_wait) once its thread sleeps in
   * synchronize_srcu while vCPUs sleep in userfaultfd ({@code readers}). Without sleepers it can only return.
   */
  private Optional<Observation> memslotOutcome(CompletableFuture<Observation> f, int tid, boolean readers) {
    try {
      return kernel.evidence().until("the memslot update neither returned nor slept in synchronize_srcu", () -> {
        if (f.isDone()) return Optional.of(Optional.of(join(f)));
        if (readers && SleepEvidence.asleepIn(tid, SleepEvidence.SRCU).isPresent()) return Optional.of(Optional.<Observation>empty());
        return Optional.empty();
      });
    } catch (SleepEvidence.Hung e) {
      return Optional.of(new Observation.NoProgress(e.getMessage()));
    }
  }

  /**
   * After a step, the pending memslot update: its result when it has returned, or must return because none
   * of the vCPUs it waits for still sleeps in the KVM_RUN it slept in then (waited for); empty while one does.
   */
  private Optional<Observation> pendingOutcome() {
    if (pendingMemslot.isDone()) return Optional.of(join(pendingMemslot));
    Map<Integer, Object> now = kernel.uffdSleepers();
    boolean held = pendingReaders.entrySet().stream().anyMatch(e -> now.get(e.getKey()) == e.getValue());
    if (held) return Optional.empty();
    CompletableFuture<Observation> f = pendingMemslot;
    try {
      return Optional.of(kernel.evidence().until("the memslot update did not return after its SRCU readers left",
          () -> f.isDone() ? Optional.of(join(f)) : Optional.empty()));
    } catch (SleepEvidence.Hung e) {
      return Optional.of(new Observation.NoProgress(e.getMessage()));
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
  private Optional<KernelTarget> takeSpare(TargetSetup setup) {
    CompletableFuture<KernelTarget> f = spare;
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
    spare = CompletableFuture.supplyAsync(() -> KernelTarget.open(setup), closer);
  }

  /**
   * Hands the trace's kernel target to the closer thread (tearing a VM down takes longer than building the
   * next one) and forgets it; {@link #close} waits for every VM to be closed.
   */
  private void closeKernel() {
    if (kernel != null) {
      KernelTarget k = kernel;
      CompletableFuture<Observation> pending = pendingMemslot;
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
