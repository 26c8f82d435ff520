package kvmuf.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import kvmuf.check.CheckResult;
import kvmuf.engine.Agreement;
import kvmuf.engine.Engine;
import kvmuf.explore.Explorer;
import kvmuf.spec.SpecBundle;
import kvmuf.spec.UnknownNameException;
import kvmuf.tlc.TlcRunner;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kvmuf bench explorer}: TLC and the Java explorer on one config, same worker count, one run each. */
@Command(
    name = "explorer",
    mixinStandardHelpOptions = true,
    description = {
      "Run TLC and the Java explorer on the same config with the same worker count, one after the",
      "other in this process tree, and print for each: distinct states, seconds, distinct states",
      "per second, and the ratio Java / TLC. TLC's seconds are its search (from 'Starting' to",
      "'Finished', without JVM start and parsing). The Java explorer runs --warmup times first",
      "(its search is short, so a cold run mostly measures the JIT compiler warming up); the",
      "cold run's figures are printed too.",
      "Also prints the Java seen-set's bytes per distinct state. Exits 1 if the engines disagree."
    })
public final class BenchExplorerCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  private java.io.PrintWriter out() {
    return spec.commandLine().getOut();
  }

  @Option(names = "--config", defaultValue = "default", paramLabel = "NAME", description = "Model config (default: ${DEFAULT-VALUE}).")
  String config;

  @Option(names = "--workers", defaultValue = "2", description = "Workers for each engine (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--warmup", defaultValue = "2", description = "Java explorer runs before the measured one (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() {
    if (!SpecBundle.configNames().contains(config)) {
      throw KvmufException.usage(new UnknownNameException("config", config, SpecBundle.configNames()).getMessage());
    }
    if (workers < 1) {
      throw KvmufException.usage("--workers must be at least 1");
    }
    if (warmup < 0) {
      throw KvmufException.usage("--warmup must be 0 or more");
    }
    boolean quiet = json || System.console() == null;
    if (!quiet) {
      System.err.println("bench: TLC on " + config + " with " + workers + " workers...");
    }
    CheckResult tlc = TlcRunner.locate().run(config, Optional.empty(), workers, quiet ? s -> {} : s -> System.err.println("tlc: " + s));
    if (!quiet) {
      System.err.println("bench: Java explorer on " + config + "...");
    }
    CheckResult cold = Engine.explorer(config, Optional.empty(), workers, s -> {}).run();
    for (int i = 1; i < warmup; i++) {
      Engine.explorer(config, Optional.empty(), workers, s -> {}).run();
    }
    Explorer explorer = Engine.explorer(config, Optional.empty(), workers, quiet ? s -> {} : s -> System.err.println("java: " + s));
    CheckResult java = warmup == 0 ? cold : explorer.run();
    Agreement agreement = Agreement.of(tlc, java);
    double ratio = tlc.distinctStatesPerSecond() == 0 ? 0 : java.distinctStatesPerSecond() / tlc.distinctStatesPerSecond();
    double coldRatio = tlc.distinctStatesPerSecond() == 0 ? 0 : cold.distinctStatesPerSecond() / tlc.distinctStatesPerSecond();
    if (json) {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("config", config);
      out.put("workers", workers);
      List<Object> engines = new ArrayList<>();
      for (CheckResult r : List.of(tlc, java)) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("engine", r.engine());
        e.put("result", r.verdict().json());
        e.put("distinctStates", r.distinctStates());
        e.put("seconds", round(r.seconds()));
        e.put("distinctStatesPerSecond", Math.round(r.distinctStatesPerSecond()));
        engines.add(e);
      }
      out.put("engines", engines);
      out.put("ratio", round(ratio));
      out.put("javaWarmupRuns", warmup);
      out.put("javaColdDistinctStatesPerSecond", Math.round(cold.distinctStatesPerSecond()));
      out.put("coldRatio", round(coldRatio));
      out.put("javaSeenSetBytesPerState", round(explorer.seenSetBytesPerState()));
      out.put("agree", agreement.agree());
      out.put("disagreements", agreement.disagreements());
      out().println(Json.write(out));
    } else {
      out().printf("%-6s %14s %10s %16s%n", "engine", "distinct", "seconds", "distinct/s");
      for (CheckResult r : List.of(tlc, java)) {
        out().printf(Locale.ROOT, "%-6s %14d %10.2f %16.0f%n", r.engine(), r.distinctStates(), r.seconds(), r.distinctStatesPerSecond());
      }
      out().printf(Locale.ROOT, "%-6s %14d %10.2f %16.0f  (cold: the first run, JIT warming up)%n", "java", cold.distinctStates(), cold.seconds(), cold.distinctStatesPerSecond());
      out().printf(Locale.ROOT, "ratio java/tlc (distinct states per second): %.1f (after %d warm-up runs), %.1f (cold)%n", ratio, warmup, coldRatio);
      out().printf(Locale.ROOT, "java seen-set: %.1f bytes per distinct state%n", explorer.seenSetBytesPerState());
      out().println(agreement.agree() ? "engines agree" : "ENGINES DISAGREE: " + String.join("; ", agreement.disagreements()));
    }
    return agreement.agree() ? ExitCodes.OK : ExitCodes.VIOLATION;
  }

  private static double round(double d) {
    return Math.round(d * 100) / 100.0;
  }
}
