package kvmuf.conform;

import java.util.Optional;
import kvmuf.model.Config;

/**
 * A named rule as data: its name, one-sentence summary, the VM it needs, the model config its expectations
 * come from (empty: only the UAPI speaks) and its steps.
 */
public record ScriptedRule(String name, String summary, TargetSetup setup, Optional<Config> model, Script steps)
    implements Rule {
  /** A rule whose expectations come from the model config {@code model}. */
  public static ScriptedRule of(String name, String summary, TargetSetup setup, Config model, Script steps) {
    return new ScriptedRule(name, summary, setup, Optional.of(model), steps);
  }

  /** A rule whose expectations come from the UAPI documentation only (the model has no word for them). */
  public static ScriptedRule uapi(String name, String summary, TargetSetup setup, Script steps) {
    return new ScriptedRule(name, summary, setup, Optional.empty(), steps);
  }

  @Override
  public void script(RuleRun run) {
    steps.run(run);
  }
}
