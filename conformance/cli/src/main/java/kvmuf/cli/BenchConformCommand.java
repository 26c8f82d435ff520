package kvmuf.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import kvmuf.conform.StepRate;
import kvmuf.conform.run.KernelTraces;
import kvmuf.model.Config;
import kvmuf.trace.Generator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kvmuf bench conform}: model-generated traces replayed on this machine's /dev/kvm, as {@code conform
 * --target host --rules none} replays them, and the step rate (steps per second of wall clock, and the CPU
 * time next to it). A benchmark: one run, its figures; not a timed test.
 */
@Command(
    name = "conform",
    mixinStandardHelpOptions = true,
    description = {
      "Generate --traces N traces of config --config (seed --seed, length --length) exactly as",
      "'kvmuf conform --target host --rules none' does, replay them on this machine's /dev/kvm",
      "and print the rate: kernel steps, wall seconds, CPU seconds, steps per second (wall).",
      "--jobs J replays J shards of the traces at once, each on its own VMs (default 1: one after",
      "the other, as conform does). Trace generation is not timed.",
      "Exit codes: 0 ok, 1 a trace diverged (the rate is printed anyway), 2 bad options, 3 no /dev/kvm."
    })
public final class BenchConformCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--target", defaultValue = "host", paramLabel = "host", description = "Only host: this machine's /dev/kvm (default).")
  String target;

  @Option(names = "--traces", defaultValue = "200", paramLabel = "N", description = "Traces to replay (default: ${DEFAULT-VALUE}).")
  int traces;

  @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "Seed of the generated traces (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--config", defaultValue = "conform-upstream", paramLabel = "NAME",
      description = "Model config of the traces (default: ${DEFAULT-VALUE}).")
  String config;

  @Option(names = "--length", defaultValue = "50", paramLabel = "L", description = "Most steps per trace (default: ${DEFAULT-VALUE}).")
  int length;

  @Option(names = "--jobs", defaultValue = "1", paramLabel = "J", description = "Shards replayed at once (default: ${DEFAULT-VALUE}).")
  int jobs;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() {
    if (!target.equals("host")) throw KvmufException.usage("bench conform runs on --target host only (this machine's /dev/kvm)");
    if (traces < 1) throw KvmufException.usage("--traces must be at least 1");
    if (length < 1) throw KvmufException.usage("--length must be at least 1");
    if (jobs < 1) throw KvmufException.usage("--jobs must be at least 1");
    KvmRequired.check("bench conform");
    Config c = TraceFiles.config(config, List.of());
    Generator g = new Generator(c, Generator.Strategy.RANDOM, seed, Generator.defaultProfile(c), length);
    List<List<KernelTraces.Named>> shards = new ArrayList<>();
    for (int j = 0; j < jobs; j++) shards.add(new ArrayList<>());
    for (int k = 0; k < traces; k++) shards.get(k % jobs).add(new KernelTraces.Named(String.format("trace-%06d", k), g.generate(k)));

    StepRate.Stopwatch clock = StepRate.start();
    List<KernelTraces.Outcome> outcomes = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(jobs);
    try {
      List<CompletableFuture<KernelTraces.Outcome>> fs = new ArrayList<>();
      for (List<KernelTraces.Named> shard : shards) {
        if (!shard.isEmpty()) fs.add(CompletableFuture.supplyAsync(() -> KernelTraces.run(shard, Optional.empty(), null, null), pool));
      }
      for (CompletableFuture<KernelTraces.Outcome> f : fs) outcomes.add(f.join());
    } finally {
      pool.shutdownNow();
    }
    // A benchmark is no conformance report, but a divergence is named (stderr), so that it can be replayed.
    for (KernelTraces.Outcome o : outcomes) {
      for (int k = 0; k < o.results().size(); k++) {
        if (!o.results().get(k).ok()) KernelTraces.lines(o.names().get(k), o.results().get(k)).forEach(spec.commandLine().getErr()::println);
      }
    }
    spec.commandLine().getErr().flush();
    long steps = outcomes.stream().mapToLong(KernelTraces.Outcome::stepsRun).sum();
    StepRate rate = clock.stop(steps);
    int passed = outcomes.stream().mapToInt(KernelTraces.Outcome::passed).sum();
    int diverged = outcomes.stream().mapToInt(KernelTraces.Outcome::diverged).sum();
    int unsupported = outcomes.stream().mapToInt(KernelTraces.Outcome::unsupportedTraces).sum();
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("target", "host");
      m.put("kernel", KernelTraces.kernel());
      m.put("config", config);
      m.put("seed", seed);
      m.put("jobs", jobs);
      Map<String, Object> counts = new LinkedHashMap<>();
      counts.put("traces", traces);
      counts.put("passed", passed);
      counts.put("diverged", diverged);
      counts.put("unsupported", unsupported);
      m.put("counts", counts);
      m.put("rate", rate.json());
      spec.commandLine().getOut().println(Json.write(m));
    } else {
      spec.commandLine().getOut().printf("bench conform on %s: %d traces of %s, seed %d, %d job(s): %d passed, %d diverged, %d unsupported%n",
          KernelTraces.kernel(), traces, config, seed, jobs, passed, diverged, unsupported);
      spec.commandLine().getOut().println(rate.line());
    }
    spec.commandLine().getOut().flush();
    return diverged > 0 ? ExitCodes.VIOLATION : ExitCodes.OK;
  }
}
