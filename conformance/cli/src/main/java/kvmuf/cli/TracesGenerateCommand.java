package kvmuf.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import kvmuf.model.Config;
import kvmuf.trace.Generator;
import kvmuf.trace.Trace;
import kvmuf.trace.TraceCodec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kvmuf traces generate}: a seeded corpus of model traces. */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description = {
      "Write COUNT traces of at most LENGTH API-level steps to DIR (trace-NNNNNN.ndjson), each",
      "step with the set of observations the model allows. random: a random walk over the",
      "enabled API steps. coverage: steers toward actions, observation kinds and model states",
      "not yet seen, and prints the coverage reached. A trace ends early when nothing is left to",
      "do (every vCPU finished). The same seed gives the same bytes; --shard i/n writes only the",
      "traces whose index is i modulo n (shards of one seed together are the unsharded corpus).",
      "",
      "Exit codes: 0 ok, 2 usage error."
    })
public final class TracesGenerateCommand implements Callable<Integer> {

  @Option(names = "--config", required = true, paramLabel = "NAME", description = "Model config.")
  String config;

  @Option(names = "--count", defaultValue = "100", description = "Traces to write (default: ${DEFAULT-VALUE}).")
  int count;

  @Option(names = "--length", defaultValue = "50", description = "Most API-level steps per trace (default: ${DEFAULT-VALUE}).")
  int length;

  @Option(names = "--seed", defaultValue = "1", description = "Seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder to write the traces to (created if missing).")
  Path out;

  @Option(names = "--strategy", defaultValue = "random", description = "random or coverage (default: ${DEFAULT-VALUE}).")
  String strategy;

  @Option(names = "--shard", paramLabel = "i/n", description = "Write only the traces with index = i mod n (0 <= i < n).")
  String shard;

  @Option(names = "--mutant", paramLabel = "ID", description = "Switch a catalogued mutant on in the model (repeatable).")
  List<String> mutants = List.of();

  @Option(names = "--profile", paramLabel = "ID", description = "UAPI profile the traces assume: upstream, uf-v1, uf-v2, uf-v3 (default: uf-v3, or upstream for configs without USERFAULT).")
  String profile;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() {
    Generator.Strategy s = switch (strategy) {
      case "random" -> Generator.Strategy.RANDOM;
      case "coverage" -> Generator.Strategy.COVERAGE;
      default -> throw KvmufException.usage("unknown strategy '" + strategy + "'; valid: random, coverage");
    };
    if (count < 0 || length < 1) {
      throw KvmufException.usage("--count must be >= 0 and --length >= 1");
    }
    int[] sh = TraceFiles.shard(shard);
    int shardIndex = sh[0];
    int shards = sh[1];
    Config c = TraceFiles.config(config, mutants);
    String prof = profile != null ? profile : Generator.defaultProfile(c);
    if (!Generator.profiles().contains(prof)) {
      throw KvmufException.usage("unknown profile '" + prof + "'; valid: " + String.join(", ", Generator.profiles()));
    }
    TraceFiles.createOutDir(out);
    boolean progress = TraceFiles.progress(json);
    Generator g = new Generator(c, s, seed, prof, length);
    long t0 = System.nanoTime();
    long cpu0 = TraceFiles.cpuNanos();
    long lastReport = t0;
    int written = 0;
    long steps = 0;
    for (int k = 0; k < count; k++) {
      boolean mine = k % shards == shardIndex;
      if (!mine && s == Generator.Strategy.RANDOM) {
        continue; // random traces depend on (seed, index) only
      }
      Trace t = g.generate(k);
      if (!mine) {
        continue;
      }
      TraceCodec.write(out.resolve(String.format("trace-%06d.ndjson", k)), t);
      written++;
      steps += t.steps().size();
      if (progress && System.nanoTime() - lastReport > 1_000_000_000L) {
        lastReport = System.nanoTime();
        System.err.printf("traces: %d written%n", written);
      }
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    double cpuSecs = (TraceFiles.cpuNanos() - cpu0) / 1e9;
    double perMinute = secs > 0 ? written / secs * 60 : 0;
    double perCpuMinute = cpuSecs > 0 ? written / cpuSecs * 60 : 0;
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("config", c.name());
      m.put("strategy", strategy);
      m.put("seed", seed);
      m.put("shard", shards == 1 ? null : shardIndex + "/" + shards);
      m.put("out", out.toString());
      m.put("traces", written);
      m.put("steps", steps);
      m.put("seconds", round(secs));
      m.put("traces_per_minute", Math.round(perMinute));
      m.put("cpu_seconds", round(cpuSecs));
      m.put("traces_per_cpu_minute", Math.round(perCpuMinute));
      m.put("steps_per_minute", secs > 0 ? Math.round(steps / secs * 60) : 0);
      m.put("hidden_closure", closure(g));
      m.put("coverage", g.coverage().json());
      System.out.println(Json.write(m));
    } else {
      System.out.printf(Locale.ROOT, "wrote %d traces (%d steps, %.1f per trace) to %s in %.2f s (%.0f traces/min, %.0f steps/min; %.2f s CPU, %.0f traces per CPU minute), config %s, strategy %s, seed %d%s%n",
          written, steps, written == 0 ? 0.0 : (double) steps / written, out, secs, perMinute, secs > 0 ? steps / secs * 60 : 0.0, cpuSecs, perCpuMinute,
          c.name(), strategy, seed, shards == 1 ? "" : ", shard " + shardIndex + "/" + shards);
      System.out.printf("hidden-step closure: bound %d states, most used %d, bound hit: %s%n",
          g.hiddenClosure().bound(), g.mostClosureStates(), g.boundHit() ? "YES (some expect sets may be incomplete)" : "no");
      g.coverage().text().forEach(System.out::println);
    }
    return ExitCodes.OK;
  }

  static Map<String, Object> closure(Generator g) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("bound", g.hiddenClosure().bound());
    m.put("most_states", g.mostClosureStates());
    m.put("bound_hit", g.boundHit());
    return m;
  }

  static double round(double x) {
    return Math.round(x * 1000) / 1000.0;
  }
}
