package kvmuf.cli;

import java.io.Console;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import kvmuf.check.CheckResult;
import kvmuf.check.Verdict;
import kvmuf.spec.ExpectedVerdict;
import kvmuf.spec.ExpectedVerdicts;
import kvmuf.spec.Mutant;
import kvmuf.spec.MutantCatalogue;
import kvmuf.spec.SpecBundle;
import kvmuf.spec.UnknownNameException;
import kvmuf.engine.Agreement;
import kvmuf.engine.Engine;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kvmuf check}: model-check the spec on a shipped config, optionally with a mutant. */
@Command(
    name = "check",
    mixinStandardHelpOptions = true,
    description = {
      "Model-check the KVM Userfault spec (spec/KvmUserfault.tla) on a shipped config.",
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
      "Exit codes: 0 no violation, 1 violation, 2 usage error, 3 environment missing."
    })
public final class CheckCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  private java.io.PrintWriter out() {
    return spec.commandLine().getOut();
  }

  @Option(names = "--engine", defaultValue = "tlc",
      description = "tlc (the spec), java (the Java model's explorer) or both (runs the two and fails on any disagreement of counts, verdict or property). Default: ${DEFAULT-VALUE}.")
  String engine;

  @Option(names = "--config", paramLabel = "NAME", description = "Model config (default: small, or the mutant's catalogued config).")
  String config;

  @Option(names = "--mutant", paramLabel = "ID", description = "Switch on one catalogued mutant.")
  String mutant;

  @Option(names = "--workers", defaultValue = "2", description = "Worker threads (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(names = "--json", description = "Print one JSON object instead of text.")
  boolean json;

  @Override
  public Integer call() {
    List<Engine> engines = switch (engine) {
      case "tlc" -> List.of(Engine.TLC);
      case "java" -> List.of(Engine.JAVA);
      case "both" -> List.of(Engine.TLC, Engine.JAVA);
      default -> throw KvmufException.usage("unknown engine '" + engine + "'; valid: tlc, java, both");
    };
    if (workers < 1) {
      throw KvmufException.usage("--workers must be at least 1");
    }
    Optional<Mutant> m;
    try {
      m = Optional.ofNullable(mutant).map(id -> MutantCatalogue.load().get(id));
    } catch (UnknownNameException e) {
      throw KvmufException.usage(e.getMessage());
    }
    String configName = config != null ? config : m.map(Mutant::config).orElse("small");
    if (!SpecBundle.configNames().contains(configName)) {
      throw KvmufException.usage(new UnknownNameException("config", configName, SpecBundle.configNames()).getMessage());
    }
    Optional<ExpectedVerdict> expected = ExpectedVerdicts.load().find(configName);
    List<CheckResult> results = new ArrayList<>();
    for (Engine e : engines) {
      results.add(e.run(configName, m.map(Mutant::id), workers, progress(e)));
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
    boolean violation = results.stream().anyMatch(r -> r.verdict() == Verdict.VIOLATION);
    return error ? ExitCodes.ENVIRONMENT : violation ? ExitCodes.VIOLATION : ExitCodes.OK;
  }

  /** TLC's progress lines go to a terminal's stderr; pipes and --json stay quiet. */
  private Consumer<String> progress(Engine e) {
    Console console = System.console();
    if (json || console == null) {
      return line -> {};
    }
    return line -> System.err.println(e.id() + ": " + line);
  }
}
