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
import java.util.concurrent.TimeoutException;
import kvmuf.kvm.UapiProfile;
import kvmuf.kvm.UnsupportedFeatureException;
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
 *   <li>a flags-only memslot update that has not returned within the settle time (synchronize_srcu waits for
 *       a vCPU asleep in userfaultfd): {@code srcu_wait}; it runs on its own thread and, when it returns
 *       during a later step, shows there as {@code unblocked} {@code vmm};</li>
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
  private final Duration patience;
  private final Duration settle;
  private final ExecutorService vmmThread = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "kvmuf-trace-vmm");
    t.setDaemon(true);
    return t;
  });
  private KernelTarget kernel;
  private Config config;
  private String setupUnsupported;
  private String lastUnsupported;
  private CompletableFuture<Observation> pendingMemslot;
  private final Map<Integer, Integer> exitGfn = new HashMap<>();
  private long kernelSteps;

  public KernelTraceTarget(Optional<UapiProfile> profile) {
    this(profile, Duration.ofSeconds(10), Duration.ofMillis(500));
  }

  public KernelTraceTarget(Optional<UapiProfile> profile, Duration patience, Duration settle) {
    this.profile = profile;
    this.patience = patience;
    this.settle = settle;
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
      kernel = KernelTarget.open(setup).withPatience(patience, settle);
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
      CompletableFuture<Observation> f = CompletableFuture.supplyAsync(() -> perform(step.get()), vmmThread);
      Optional<Observation> done = await(f, settle);
      if (done.isEmpty()) {
        pendingMemslot = f;
        return Optional.of(observation(new kvmuf.model.Observation.SrcuWait(), unblocked));
      }
      o = done.get();
    } else {
      o = perform(step.get());
      if (pendingMemslot != null) {
        Optional<Observation> done = await(pendingMemslot, Duration.ofMillis(Math.min(300, settle.toMillis())));
        if (done.isPresent()) {
          pendingMemslot = null;
          unblocked.put("vmm", done.get() instanceof Observation.Ioctl i ? new kvmuf.model.Observation.Ioctl(i.result())
              : unexpected(done.get()));
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

  private static Optional<Observation> await(CompletableFuture<Observation> f, Duration d) {
    try {
      return Optional.of(f.get(d.toMillis(), TimeUnit.MILLISECONDS));
    } catch (TimeoutException e) {
      return Optional.empty();
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException r) throw r;
      throw new IllegalStateException(c);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private void closeKernel() {
    if (kernel != null) {
      kernel.close(); // closes the userfaultfd first: sleepers finish, a pending memslot update returns
      if (pendingMemslot != null) {
        try {
          pendingMemslot.get(10, TimeUnit.SECONDS);
        } catch (Exception ignored) {
          // the VM is gone either way
        }
      }
      kernel = null;
    }
    pendingMemslot = null;
  }

  @Override
  public void close() {
    closeKernel();
    vmmThread.shutdownNow();
  }
}
