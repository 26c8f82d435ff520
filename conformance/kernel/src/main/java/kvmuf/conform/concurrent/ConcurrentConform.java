package kvmuf.conform.concurrent;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import kvmuf.kvm.UapiProfile;
import kvmuf.kvm.UnsupportedFeatureException;
import kvmuf.model.Config;
import kvmuf.trace.Trace;
import kvmuf.trace.TraceCodec;
import kvmuf.trace.Validator;

/**
 * {@code conform --concurrent}: N runs of free-running vCPU, uffd handler and VMM threads on this machine's
 * kernel, each with a seeded {@link Workload} drawn from the model config, each run's {@link ConcurrentLog}
 * checked by the same {@link Validator} as {@code kvmuf traces validate} (observed must be a behaviour of the
 * model, hidden steps and early starts filled in by search). A run is valid, divergent (the first line no
 * behaviour explains; or the run did not finish), or unsupported (never passed).
 */
public final class ConcurrentConform {
  /** How long a run may take before its threads count as stuck (generous: CI machines are shared and slow). */
  public static final Duration DEFAULT_PATIENCE = Duration.ofSeconds(20);

  public enum Verdict { VALID, DIVERGENT, UNSUPPORTED }

  /**
   * @param log the run's log (empty when unsupported)
   * @param validation the validator's verdict on the log
   * @param reason why the run is unsupported, or what went wrong outside the log (a thread stuck or failed)
   * @param file where the log was written (--out)
   */
  public record RunResult(String name, Workload workload, Verdict verdict, Optional<Trace> log,
      Optional<Validator.Result> validation, Optional<String> reason, Optional<Path> file) {
    public int events() {
      return log.map(t -> t.steps().size()).orElse(0);
    }
  }

  public record Outcome(List<RunResult> runs) {
    public Outcome {
      runs = List.copyOf(runs);
    }

    public long count(Verdict v) {
      return runs.stream().filter(r -> r.verdict() == v).count();
    }

    public long events() {
      return runs.stream().mapToLong(RunResult::events).sum();
    }

    /** Logged lines per model action (every action a trace names, 0 where none was logged), over every run. */
    public java.util.Map<String, Long> actions() {
      java.util.Map<String, Long> m = new java.util.LinkedHashMap<>();
      TraceCodec.actionNames().forEach(a -> m.put(a, 0L));
      logged().forEach(s -> m.merge(s.action().name(), 1L, Long::sum));
      return m;
    }

    /** Logged guest accesses that ended in a memory-fault exit flagged KVM_MEMORY_EXIT_FLAG_USERFAULT. */
    public long userfaultExits() {
      return logged().filter(s -> s.observed().result() instanceof kvmuf.model.Observation.MemoryFaultExit m
          && m.flags().contains("USERFAULT")).count();
    }

    private java.util.stream.Stream<kvmuf.trace.TraceStep> logged() {
      return runs.stream().flatMap(r -> r.log().stream()).flatMap(t -> t.steps().stream());
    }
  }

  private final Config config;
  private final long seed;
  private final Optional<UapiProfile> profile;
  private final Optional<Path> out;
  private final Duration patience;

  /** @param out folder for the logs (NAME.concurrent.ndjson); it must exist */
  public ConcurrentConform(Config config, long seed, Optional<UapiProfile> profile, Optional<Path> out, Duration patience) {
    this.config = config;
    this.seed = seed;
    this.profile = profile;
    this.out = out;
    this.patience = patience;
  }

  public static String runName(int k) {
    return String.format("run-%06d", k);
  }

  public static String fileName(String runName) {
    return runName + ".concurrent.ndjson";
  }

  /** Runs 0 .. n-1, handing each result to {@code each} as soon as it is known. */
  public Outcome run(int n, Consumer<RunResult> each) {
    List<RunResult> results = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      RunResult r = runOne(k);
      results.add(r);
      each.accept(r);
    }
    return new Outcome(results);
  }

  public RunResult runOne(int k) {
    String name = runName(k);
    Workload w = Workload.of(config, seed, k);
    ConcurrentMachine machine;
    try {
      machine = ConcurrentMachine.open(config, profile);
    } catch (UnsupportedFeatureException e) {
      return new RunResult(name, w, Verdict.UNSUPPORTED, Optional.empty(), Optional.empty(),
          Optional.of(e.getMessage().replaceFirst("^unsupported: ", "")), Optional.empty());
    }
    ConcurrentLog log = new ConcurrentLog(config, seed, machine.profileId());
    ConcurrentRun.Finished finished = null;
    try {
      finished = ConcurrentRun.run(machine, w, config, log, patience);
    } finally {
      // A thread still in the kernel keeps the VM open (leaked): its memory must not be unmapped under it.
      if (finished != null && finished.stopped()) machine.close();
    }
    Trace trace = log.trace(name);
    Optional<Path> file = out.map(d -> d.resolve(fileName(name)));
    file.ifPresent(f -> TraceCodec.write(f, trace));
    Validator.Result v = new Validator().validate(trace);
    Verdict verdict = v.accepted() && finished.problem().isEmpty() ? Verdict.VALID : Verdict.DIVERGENT;
    return new RunResult(name, w, verdict, Optional.of(trace), Optional.of(v), finished.problem(), file);
  }
}
