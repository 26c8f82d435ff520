package kvmuf.conform;

import java.util.Optional;
import java.util.function.UnaryOperator;
import kvmuf.kvm.UapiProfile;
import kvmuf.model.Config;

/**
 * What a rule runs with: the UAPI profile to speak (empty: probed), a change to the model config (identity
 * normally; a test changes one model rule on purpose to prove divergences are caught), and a change to
 * one expectation ({@link Tamper}: identity normally, for the same proof).
 */
public record RuleContext(Optional<UapiProfile> profile, UnaryOperator<Config> model, Tamper tamper) {
  /** Rewrites the expectation of step {@code index} (1-based). */
  @FunctionalInterface
  public interface Tamper {
    Expectation apply(int index, Expectation expected);
  }

  public static RuleContext standard(Optional<UapiProfile> profile) {
    return new RuleContext(profile, UnaryOperator.identity(), (i, e) -> e);
  }

  public static RuleContext standard() {
    return standard(Optional.empty());
  }

  public RuleContext withModel(UnaryOperator<Config> change) {
    return new RuleContext(profile, change, tamper);
  }

  public RuleContext withTamper(Tamper t) {
    return new RuleContext(profile, model, t);
  }
}
