package kvmuf.conform;

import java.util.Optional;
import kvmuf.model.Config;

/**
 * A named conformance rule: a short script of kernel steps, each compared with what the model (or, where
 * the model is silent, the UAPI) says it must show. Each rule is data, a {@link ScriptedRule} (name, summary,
 * set-up, model config, steps) in its own file of {@code kvmuf.conform.rules}; {@link Rules} lists them.
 */
public interface Rule {
  /** The name users pass to {@code --rules}, e.g. {@code uffd-missing-copy}. */
  String name();

  /** One sentence: what the kernel must do. */
  String summary();

  /** The VM the rule needs. */
  TargetSetup setup();

  /** The model config the expectations come from; empty when only the UAPI speaks. */
  Optional<Config> model();

  /** The steps. Use {@link RuleRun#expect} and friends; they stop the script at the first divergence. */
  void script(RuleRun run);
}
