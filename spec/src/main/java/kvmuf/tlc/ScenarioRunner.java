package kvmuf.tlc;

import java.nio.file.Files;
import java.util.Optional;
import java.util.regex.Matcher;
import kvmuf.check.CheckResult;
import kvmuf.spec.Scenario;
import kvmuf.spec.SpecBundle;

/**
 * Runs a regression scenario on TLC (one worker): its module and config next to the spec, with
 * the scenario's mutant switched on or not. A scenario passes when the correct protocol violates
 * only {@link Scenario#REACHED} (the last step was reached with every property holding on the way)
 * and the mutant violates the scenario's property.
 */
public final class ScenarioRunner {
  private final TlcRunner tlc;

  public ScenarioRunner(TlcRunner tlc) {
    this.tlc = tlc;
  }

  public CheckResult run(Scenario s, boolean withMutant) {
    String module = s.name() + ".tla";
    String cfg = SpecBundle.read("scenarios/" + s.name() + ".cfg");
    String text = withMutant ? switchOn(cfg, s.mutant()) : cfg;
    Optional<String> mutant = withMutant ? Optional.of(s.mutant()) : Optional.empty();
    return TlcRunner.inSpecFolder("kvmuf-scenario-", dir -> {
      Files.writeString(dir.resolve(module), SpecBundle.read("scenarios/" + module));
      Files.writeString(dir.resolve("run.cfg"), text);
      return tlc.runModule(dir, module, "run.cfg", s.name(), mutant);
    });
  }

  /** The scenario's config with {@code Mutants} set to the one mutant. */
  static String switchOn(String cfg, String mutant) {
    String replaced = cfg.replaceFirst("(?m)^(\\s*Mutants\\s*=\\s*)\\{[^}]*}", "$1" + Matcher.quoteReplacement("{\"" + mutant + "\"}"));
    if (replaced.equals(cfg)) {
      throw new IllegalStateException("scenario config has no 'Mutants = {}' line");
    }
    return replaced;
  }
}
