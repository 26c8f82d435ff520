package kvmuf.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import kvmuf.conform.run.KernelTraces;
import kvmuf.model.Config;
import kvmuf.trace.Coverage;
import kvmuf.trace.HiddenClosure;
import kvmuf.trace.ModelTarget;
import kvmuf.trace.ReplayReport;
import kvmuf.trace.Replayer;
import kvmuf.trace.Target;
import kvmuf.trace.Trace;
import kvmuf.trace.TraceCodec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kvmuf traces replay}: step a target through traces and compare with the model. */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description = {
      "Replay traces on a target, one API-level step at a time: the model predicts the set of",
      "allowed observations of each step (closing over hidden kernel-internal steps) and the",
      "target's observation must be in it. Reports the first divergence of each trace (step,",
      "line, expected set, observed), invariant violations (mutant configs), and the coverage.",
      "Targets: model (the Java model itself); host (this machine's /dev/kvm: a fresh VM per trace,",
      "see 'kvmuf conform --traces'; a trace stops at its first step the kernel cannot run, counted",
      "as unsupported, never passed; --record writes NAME.ndjson and NAME.observed.ndjson); vm: use",
      "'kvmuf conform --target vm --traces N' (the guest generates the same traces from the seed).",
      "",
      "Exit codes: 0 no divergence, 1 divergence or violation, 2 usage error or bad trace."
    })
public final class TracesReplayCommand implements Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--target", defaultValue = "model", description = "model or host (default: ${DEFAULT-VALUE}).")
  String target;

  @Option(names = "--in", required = true, paramLabel = "DIR|FILE", description = "A trace file or a folder of *.ndjson traces.")
  Path in;

  @Option(names = "--choice", defaultValue = "first", description = "How the model target resolves hidden nondeterminism: first (the branch generated traces follow) or random (seeded by each trace's seed). Default: ${DEFAULT-VALUE}.")
  String choice;

  @Option(names = "--record", paramLabel = "DIR", description = "Also write each run as a logged trace (observed instead of expect) to DIR.")
  Path record;

  @Option(names = "--shard", paramLabel = "i/n", description = "Replay only the files whose position in name order is i modulo n (0 <= i < n).")
  String shard;

  @Option(names = "--rounds", defaultValue = "1", description = "Replay the traces this many times and report the fastest round (a benchmark on a busy machine; results are those of the last round). Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() {
    Target t = switch (target) {
      case "model" -> new ModelTarget(switch (choice) {
        case "first" -> ModelTarget.Choice.FIRST;
        case "random" -> ModelTarget.Choice.RANDOM;
        default -> throw KvmufException.usage("unknown choice '" + choice + "'; valid: first, random");
      });
      case "host" -> null;
      case "vm" -> throw KvmufException.usage("traces replay --target vm cannot see this machine's files; run "
          + "'kvmuf conform --target vm --traces N --seed S --config NAME' (the guest generates the same traces)");
      default -> throw KvmufException.usage("unknown target '" + target + "'; valid: model, host");
    };
    if (t == null) {
      return host();
    }
    int[] sh = TraceFiles.shard(shard);
    List<Path> all = TraceFiles.list(in);
    List<Path> files = new ArrayList<>();
    for (int k = 0; k < all.size(); k++) {
      if (k % sh[1] == sh[0]) {
        files.add(all.get(k));
      }
    }
    List<Trace> traces = new ArrayList<>(files.size());
    for (Path f : files) {
      traces.add(TraceFiles.read(f));
    }
    if (record != null) TraceFiles.createOutDir(record);
    if (rounds < 1) {
      throw KvmufException.usage("--rounds must be at least 1");
    }
    Replayer replayer = new Replayer(t);
    Round best = null;
    Round round = null;
    Round first = null;
    for (int k = 0; k < rounds; k++) {
      round = replayAll(replayer, traces, files, k == rounds - 1 ? record : null);
      first = first == null ? round : first;
      if (best == null || round.seconds() < best.seconds()) {
        best = round;
      }
    }
    Map<String, Coverage> coverage = round.coverage();
    List<Replayer.Result> bad = round.bad();
    long steps = round.steps();
    boolean hit = round.boundHit();
    int leftBranch = round.leftBranch();
    double secs = best.seconds();
    double cpuSecs = best.cpuSeconds();
    t.close();
    double cpuRate = cpuSecs > 0 ? steps / cpuSecs : 0;
    long divergences = bad.stream().filter(r -> r.divergence().isPresent()).count();
    long violations = bad.stream().filter(r -> r.violation().isPresent()).count();
    double rate = secs > 0 ? steps / secs : 0;
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("target", target);
      m.put("traces", traces.size());
      m.put("steps", steps);
      m.put("divergences", divergences);
      m.put("violations", violations);
      m.put("traces_off_branch", leftBranch);
      m.put("rounds", rounds);
      m.put("first_round_seconds", TracesGenerateCommand.round(first.seconds()));
      m.put("seconds", TracesGenerateCommand.round(secs));
      m.put("steps_per_second", Math.round(rate));
      m.put("cpu_seconds", TracesGenerateCommand.round(cpuSecs));
      m.put("steps_per_cpu_second", Math.round(cpuRate));
      Map<String, Object> h = new LinkedHashMap<>();
      h.put("bound", HiddenClosure.DEFAULT_BOUND);
      h.put("bound_hit", hit);
      m.put("hidden_closure", h);
      List<Object> failures = new ArrayList<>();
      for (Replayer.Result r : bad) {
        failures.add(ReplayReport.failure(r));
      }
      m.put("failures", failures);
      Map<String, Object> cov = new LinkedHashMap<>();
      coverage.forEach((k, v) -> cov.put(k, v.json()));
      m.put("coverage", cov);
      System.out.println(Json.write(m));
    } else {
      for (Replayer.Result r : bad) {
        ReplayReport.text(r).forEach(System.out::println);
      }
      System.out.printf(Locale.ROOT, "replayed %d traces, %d steps on target %s in %.2f s (%.0f steps/s; %.2f s CPU, %.0f steps per CPU second): %d divergences, %d violations%n",
          traces.size(), steps, target, secs, rate, cpuSecs, cpuRate, divergences, violations);
      System.out.printf("hidden-step closure: bound %d states per step, bound hit: %s%n", HiddenClosure.DEFAULT_BOUND, hit ? "YES" : "no");
      if (rounds > 1) {
        System.out.printf(Locale.ROOT, "fastest of %d rounds shown (the first took %.2f s, %.2f s CPU; later rounds reuse the step cache)%n",
            rounds, first.seconds(), first.cpuSeconds());
      }
      if (leftBranch > 0) {
        System.out.printf("%d traces left their generated branch (the target resolved a nondeterministic step differently); later expect sets were not compared%n", leftBranch);
      }
      coverage.forEach((k, v) -> {
        System.out.println("config " + k + ":");
        v.text().forEach(System.out::println);
      });
    }
    return bad.isEmpty() ? ExitCodes.OK : ExitCodes.VIOLATION;
  }

  private int host() {
    List<KernelTraces.Named> named = new ArrayList<>();
    for (Path f : TraceFiles.list(in)) {
      named.add(new KernelTraces.Named(f.getFileName().toString().replaceFirst("\\.ndjson$", ""), TraceFiles.read(f)));
    }
    KvmRequired.check("traces replay --target host");
    if (record != null) TraceFiles.createOutDir(record);
    java.io.PrintWriter pw = spec.commandLine().getOut();
    if (!json) {
      pw.println("traces replay --target host: kernel " + KernelTraces.kernel() + ", " + named.size() + " traces from " + in);
    }
    KernelTraces.Outcome o = KernelTraces.run(named, java.util.Optional.empty(), record, json ? null : pw);
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("target", "host");
      m.put("kernel", KernelTraces.kernel());
      m.putAll(KernelTraces.json(o));
      pw.println(Json.write(m));
    } else {
      pw.println(KernelTraces.summary(o));
    }
    pw.flush();
    return o.diverged() > 0 ? ExitCodes.VIOLATION : ExitCodes.OK;
  }

  record Round(Map<String, Coverage> coverage, List<Replayer.Result> bad, long steps, boolean boundHit, int leftBranch,
      double seconds, double cpuSeconds) {}

  private Round replayAll(Replayer replayer, List<Trace> traces, List<Path> files, Path recordTo) {
    Map<String, Coverage> coverage = new LinkedHashMap<>();
    List<Replayer.Result> bad = new ArrayList<>();
    long steps = 0;
    boolean hit = false;
    int leftBranch = 0;
    boolean progress = TraceFiles.progress(json);
    long t0 = System.nanoTime();
    long cpu0 = TraceFiles.cpuNanos();
    long lastReport = t0;
    for (int k = 0; k < traces.size(); k++) {
      Trace tr = traces.get(k);
      Config c = tr.header().config();
      Coverage cov = coverage.computeIfAbsent(c.name() + (c.mutants().isEmpty() ? "" : "+" + c.mutants()), n -> new Coverage(c));
      Replayer.Result r = replayer.replay(tr, cov);
      steps += r.stepsReplayed();
      hit |= r.boundHit();
      if (r.leftBranchAt() >= 0) {
        leftBranch++;
      }
      if (!r.ok()) {
        bad.add(r);
      }
      if (recordTo != null) {
        TraceCodec.write(recordTo.resolve(files.get(k).getFileName()), r.recorded());
      }
      if (progress && System.nanoTime() - lastReport > 1_000_000_000L) {
        lastReport = System.nanoTime();
        System.err.printf("traces: %d/%d replayed%n", k + 1, traces.size());
      }
    }
    return new Round(coverage, bad, steps, hit, leftBranch, (System.nanoTime() - t0) / 1e9, (TraceFiles.cpuNanos() - cpu0) / 1e9);
  }
}
