package kvmuf.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import kvmuf.check.CheckResult;
import kvmuf.check.Verdict;
import kvmuf.spec.ExpectedVerdict;
import kvmuf.spec.ExpectedVerdicts;
import kvmuf.spec.Mutant;
import kvmuf.spec.MutantCatalogue;
import kvmuf.spec.SpecBundle;
import kvmuf.spec.UnknownNameException;
import kvmuf.model.Config;
import kvmuf.spec.CfgException;
import kvmuf.engine.Agreement;
import kvmuf.engine.Engine;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kvmuf check}: model-check the spec on a shipped config or a config file, optionally with a mutant. */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    description = {
      "Model-check the KVM Userfault spec (spec/KvmUserfault.tla) on a shipped config, or on",
      "your own config file (--config PATH/own.cfg: a copy of a shipped one with other bounds;",
      "a config without a recorded count is checked all the same and reported as such).",
      "Without --mutant the correct protocol is checked: every invariant must hold.",
      "With --mutant ID a catalogued bug is switched on (see 'kvmuf mutants'); the run must",
      "then fail the property the catalogue names. A violation is printed as a timeline:",
      "one line per step with the actor, the action and the variables that changed.",
      "",
      "Configs: small (CI), small-gmem, small-dirty, small-arm64, small-apf, apf-uffd,",
      "apf-userfault (its expected verdict is a violation: async PF is incompatible with",
      "USERFAULT), conform-upstream and conform-userfault (what kernels without and with",
      "KVM_CAP_USERFAULT replay: kvmuf conform's traces),",
      "default, large. TLC runs in a forked JVM; set KVMUF_TLA2TOOLS=/path to use",
      "another tla2tools.jar. The Java engine explores the Java reference model (model-java) and",
      "must agree with TLC on every shipped config: --engine both checks that.",
      "",
      "--distributed runs TLC in its own distributed mode: a TLC server (tlc2.tool.distributed.TLCServer)",
      "and --workers worker processes (TLCWorker, one thread each) on this machine, talking RMI on",
      "loopback; the server's registry listens on --rmi-port (TLC's default 10997; a port already taken is",
      "exit 3). Same jar, same verdict and distinct-state count as the ordinary run.",
      "",
      "Exit codes: 0 no violation (or the config's recorded expected violation), 1 violation,",
      "2 usage error, 3 environment missing (TLC jar), 4 I/O or internal error (TLC failed)."
    })
public final class CheckCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  private java.io.PrintWriter out() {
    return spec.commandLine().getOut();
  }

  /** The --engine values as typed (lowercase: picocli shows and matches these names). */
  enum EngineChoice { tlc, java, both }

  @Option(names = "--engine", defaultValue = "tlc", paramLabel = "tlc|java|both",
      description = "tlc (the spec), java (the Java model's explorer) or both (runs the two and fails on any disagreement of counts, verdict or property). Default: ${DEFAULT-VALUE}.")
  EngineChoice engine;

  @Option(names = "--config", paramLabel = "NAME|PATH",
      description = "Model config: a shipped name, or a .cfg file by path (default: small, or the mutant's catalogued config).")
  String config;

  @Option(names = "--mutant", paramLabel = "ID", description = "Switch on one catalogued mutant.")
  String mutant;

  /** conform's spelling, kept working here so one word works everywhere. */
  @Option(names = "--model-mutant", hidden = true, paramLabel = "ID")
  void modelMutantAlias(String id) {
    mutant = id;
  }

  @Option(names = "--workers", defaultValue = "2", description = "Worker threads (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--json", description = "Print one JSON object instead of text.")
  boolean json;

  @Option(names = "--distributed", description = "TLC's distributed mode: a TLC server and --workers worker processes on loopback (RMI).")
  boolean distributed;

  @Option(names = "--rmi-port", defaultValue = "10997", paramLabel = "PORT",
      description = "With --distributed: the TLC server's RMI registry port (default: ${DEFAULT-VALUE}).")
  int rmiPort;

  @CommandLine.Mixin ProgressOptions progressOptions = new ProgressOptions();

  @Override
  public Integer call() {
    List<Engine> engines = switch (engine) {
      case tlc -> List.of(Engine.TLC);
      case java -> List.of(Engine.JAVA);
      case both -> List.of(Engine.TLC, Engine.JAVA);
    };
    if (workers < 1) {
      throw KvmufException.usage("--workers must be at least 1");
    }
    if (distributed && engine == EngineChoice.java) {
      throw KvmufException.usage("--distributed is TLC's mode: use it with --engine tlc or both");
    }
    if (rmiPort < 1 || rmiPort > 65535) {
      throw KvmufException.usage("--rmi-port must be 1..65535, not " + rmiPort);
    }
    Optional<Integer> port = distributed ? Optional.of(rmiPort) : Optional.empty();
    Optional<Mutant> m;
    try {
      m = Optional.ofNullable(mutant).map(id -> MutantCatalogue.load().get(id));
    } catch (UnknownNameException e) {
      throw KvmufException.usage(e.getMessage());
    }
    String configName = config != null ? config : m.map(Mutant::config).orElse("small");
    try {
      // Reads and checks the whole config up front (file:line errors), before any engine starts.
      Config.load(configName);
    } catch (UnknownNameException | CfgException e) {
      throw KvmufException.usage(e.getMessage());
    }
    // A config file is never matched against the recorded counts, whatever it is called.
    Optional<ExpectedVerdict> expected = SpecBundle.isPath(configName) ? Optional.empty() : ExpectedVerdicts.load().find(configName);
    List<CheckResult> results = new ArrayList<>();
    for (Engine e : engines) {
      String[] last = {"starting"};
      try (ProgressLine p = ProgressLine.start("check: " + e.id() + " on " + configName, progressOptions.quiet,
          () -> last[0])) {
        results.add(e.run(configName, m.map(Mutant::id), workers, port, line -> last[0] = oneLine(line)));
      }
    }
    for (CheckResult r : results) {
      if (r.verdict() == Verdict.ERROR && !json) {
        // One true line on stderr; the report's counts and "state space changed" would be false here.
        throw new KvmufException(failureCode(r), "check: " + r.engine() + " failed on config " + configName
            + ": " + r.error().orElse("no reason given"));
      }
    }
    Optional<Agreement> agreement = results.size() == 2
        ? Optional.of(Agreement.of(results.get(0), results.get(1))) : Optional.empty();
    if (json) {
      if (agreement.isEmpty()) {
        out().println(Json.write(CheckReport.json(results.getFirst(), expected)));
      } else {
        Map<String, Object> both = new LinkedHashMap<>();
        both.put("engine", "both");
        both.put("agree", agreement.get().agree());
        both.put("disagreements", agreement.get().disagreements());
        both.put("results", results.stream().map(r -> CheckReport.json(r, expected)).toList());
        out().println(Json.write(both));
      }
    } else {
      for (CheckResult r : results) {
        CheckReport.text(r, expected).forEach(out()::println);
        out().println();
      }
      agreement.ifPresent(a -> out().println(a.agree()
          ? "engines agree: same verdict and property" + (results.getFirst().verdict() == Verdict.OK ? ", same distinct-state count" : "")
          : "ENGINES DISAGREE: " + String.join("; ", a.disagreements())));
    }
    if (agreement.isPresent() && !agreement.get().agree()) {
      return ExitCodes.VIOLATION;
    }
    boolean error = results.stream().anyMatch(r -> r.verdict() == Verdict.ERROR);
    if (error) {
      results.stream().filter(r -> r.verdict() == Verdict.ERROR).findFirst().ifPresent(r ->
          spec.commandLine().getErr().println("kvmuf: check: " + r.engine() + " failed on config " + configName + ": "
              + r.error().orElse("no reason given")));
      return results.stream().filter(r -> r.verdict() == Verdict.ERROR).map(CheckCommand::failureCode).findFirst().orElseThrow();
    }
    boolean violation = results.stream().anyMatch(r -> r.verdict() == Verdict.VIOLATION);
    if (violation && m.isEmpty() && expected.isPresent()
        && results.stream().allMatch(r -> CheckReport.matches(r, expected.get()))) {
      // The config records this violation as its verdict (e.g. apf-userfault): the check did what it must.
      if (!json) {
        out().println("expected violation: config " + configName + " must break " + expected.get().property().orElse("?")
            + " and does (" + expected.get().note() + ")");
      }
      return ExitCodes.OK;
    }
    return violation ? ExitCodes.VIOLATION : ExitCodes.OK;
  }

  /** A cfg the engine rejects is a bad input (2); any other engine failure is the kit's or the machine's (4). */
  static int failureCode(CheckResult r) {
    String e = r.error().orElse("");
    return e.contains("configuration file") || e.contains("config file") ? ExitCodes.USAGE : ExitCodes.IO_OR_INTERNAL;
  }

  /** An engine's progress report (TLC's may span lines) as one status line. */
  static String oneLine(String report) {
    return String.join(" ", report.lines().map(String::strip).filter(l -> !l.isEmpty()).toList());
  }
}
