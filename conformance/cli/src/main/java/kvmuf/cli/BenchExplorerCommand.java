package kvmuf.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import kvmuf.check.CheckResult;
import kvmuf.check.Verdict;
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
      "Also prints the Java seen-set's bytes per distinct state and the load average before and",
      "after (the machine may be shared). Exits 1 if the engines disagree.",
      "",
      "--max-seconds S stops each engine after S seconds (for the largest configs): one Java run",
      "(no warm-up), TLC's rate read from its progress reports (TLC reports once a minute: give it",
      "more than 60 s), and, where TLC did not finish, how long it would take for the Java",
      "explorer's count at that rate. A stopped run is not compared."
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

  @Option(names = "--max-seconds", defaultValue = "0", paramLabel = "S",
      description = "Stop each engine after S seconds and report the states reached (default: no limit).")
  double maxSeconds;

  @Override
  public Integer call() {
    if (!SpecBundle.configNames().contains(config) && !SpecBundle.isPath(config)) {
      throw KvmufException.usage(new UnknownNameException("config", config, SpecBundle.configNames()).getMessage());
    }
    if (workers < 1) {
      throw KvmufException.usage("--workers must be at least 1");
    }
    if (warmup < 0) {
      throw KvmufException.usage("--warmup must be 0 or more");
    }
    if (maxSeconds < 0) {
      throw KvmufException.usage("--max-seconds must be 0 (no limit) or more");
    }
    if (maxSeconds > 0) {
      return timeLimited();
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

  /** One run of each engine, each stopped after --max-seconds; TLC's rate from its progress reports. */
  private Integer timeLimited() {
    boolean quiet = json || System.console() == null;
    String loadBefore = loadAverage();
    TlcRate rate = new TlcRate();
    if (!quiet) {
      System.err.println("bench: TLC on " + config + " with " + workers + " workers, at most " + maxSeconds + " s...");
    }
    CheckResult tlc = TlcRunner.locate().run(config, Optional.empty(), workers, line -> {
      rate.line(line);
      if (!quiet) {
        System.err.println("tlc: " + line);
      }
    }, maxSeconds);
    boolean tlcDone = tlc.verdict() != Verdict.ERROR;
    if (!quiet) {
      System.err.println("bench: Java explorer on " + config + ", at most " + maxSeconds + " s...");
    }
    Explorer explorer = Engine.explorer(config, Optional.empty(), workers,
        quiet ? s -> {} : s -> System.err.println("java: " + s)).timeLimit(maxSeconds);
    CheckResult java = explorer.run();
    boolean javaDone = !explorer.stoppedAtTimeLimit() && java.verdict() != Verdict.ERROR;
    String loadAfter = loadAverage();
    double tlcPerSecond = tlcDone ? tlc.distinctStatesPerSecond() : rate.perSecond();
    double ratio = tlcPerSecond == 0 ? 0 : java.distinctStatesPerSecond() / tlcPerSecond;
    Optional<Agreement> agreement = tlcDone && javaDone ? Optional.of(Agreement.of(tlc, java)) : Optional.empty();
    // How long TLC would take to reach the Java explorer's count at its measured rate (where it did not finish).
    double tlcEstimate = !tlcDone && tlcPerSecond > 0 ? java.distinctStates() / tlcPerSecond : 0;
    if (json) {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("config", config);
      out.put("workers", workers);
      out.put("maxSeconds", maxSeconds);
      List<Object> engines = new ArrayList<>();
      engines.add(engine(tlc, tlcDone, tlcPerSecond, tlcDone ? tlc.distinctStates() : rate.distinct));
      engines.add(engine(java, javaDone, java.distinctStatesPerSecond(), java.distinctStates()));
      out.put("engines", engines);
      out.put("ratio", round(ratio));
      if (tlcEstimate > 0) {
        out.put("tlcSecondsForJavaCount", Math.round(tlcEstimate));
      }
      out.put("javaSeenSetBytesPerState", round(explorer.seenSetBytesPerState()));
      out.put("loadAverageBefore", loadBefore);
      out.put("loadAverageAfter", loadAfter);
      out.put("agree", agreement.map(Agreement::agree).orElse(null));
      out.put("disagreements", agreement.map(Agreement::disagreements).orElse(List.of()));
      out().println(Json.write(out));
    } else {
      out().printf("%-6s %14s %10s %16s %s%n", "engine", "distinct", "seconds", "distinct/s", "complete");
      out().printf(Locale.ROOT, "%-6s %14d %10.2f %16.0f %s%n", "tlc", tlcDone ? tlc.distinctStates() : rate.distinct,
          tlcDone ? tlc.seconds() : rate.seconds, tlcPerSecond, tlcDone ? "yes" : "no (stopped; rate from its last progress report)");
      out().printf(Locale.ROOT, "%-6s %14d %10.2f %16.0f %s%n", "java", java.distinctStates(), java.seconds(),
          java.distinctStatesPerSecond(), javaDone ? "yes" : "no (stopped at the time limit)");
      out().printf(Locale.ROOT, "ratio java/tlc (distinct states per second): %.1f%n", ratio);
      if (tlcEstimate > 0) {
        out().printf(Locale.ROOT, "TLC at its rate would take %.0f s (%.1f h) for the Java explorer's %d states%n",
            tlcEstimate, tlcEstimate / 3600, java.distinctStates());
      }
      out().printf(Locale.ROOT, "java seen-set: %.1f bytes per distinct state%n", explorer.seenSetBytesPerState());
      out().println("load average before: " + loadBefore + "; after: " + loadAfter);
      agreement.ifPresent(a -> out().println(a.agree() ? "engines agree" : "ENGINES DISAGREE: " + String.join("; ", a.disagreements())));
    }
    return agreement.map(a -> a.agree() ? ExitCodes.OK : ExitCodes.VIOLATION).orElse(ExitCodes.OK);
  }

  private static Map<String, Object> engine(CheckResult r, boolean complete, double perSecond, long distinct) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("engine", r.engine());
    e.put("result", complete ? r.verdict().json() : "stopped");
    e.put("complete", complete);
    e.put("distinctStates", distinct);
    e.put("seconds", round(r.seconds()));
    e.put("distinctStatesPerSecond", Math.round(perSecond));
    return e;
  }

  /** /proc/loadavg's three averages, or "unknown". */
  static String loadAverage() {
    try {
      String[] f = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (java.io.IOException | RuntimeException e) {
      return "unknown";
    }
  }

  /** TLC's progress reports: distinct states found and the time since its search started. */
  static final class TlcRate {
    private static final java.util.regex.Pattern DISTINCT = java.util.regex.Pattern.compile("([\\d,]+) distinct states found");
    private long start;
    long distinct;
    double seconds;

    void line(String text) {
      if (text.startsWith("Starting")) {
        start = System.nanoTime();
        return;
      }
      java.util.regex.Matcher m = DISTINCT.matcher(text);
      if (start != 0 && text.startsWith("Progress") && m.find()) {
        distinct = Long.parseLong(m.group(1).replace(",", ""));
        seconds = (System.nanoTime() - start) / 1e9;
      }
    }

    double perSecond() {
      return seconds == 0 ? 0 : distinct / seconds;
    }
  }

  private static double round(double d) {
    return Math.round(d * 100) / 100.0;
  }
}
