package kvmuf.conform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.stream.Collectors;
import kvmuf.kvm.Kvm;

/**
 * Runs a named rule on this machine's /dev/kvm for a JUnit test: PASS passes, DIVERGENCE fails with the
 * steps, UNSUPPORTED (no /dev/kvm, no capability) skips visibly with the reason, never passes.
 */
final class ConformRuleSupport {
  private ConformRuleSupport() {}

  static RuleResult assertPasses(Rule rule) {
    return assertPasses(rule, RuleContext.standard());
  }

  static RuleResult assertPasses(Rule rule, RuleContext context) {
    RuleResult r = runOrSkip(rule, context);
    assertThat(r.status()).as(describe(r)).isEqualTo(RuleResult.Status.PASS);
    return r;
  }

  /** Runs the rule; skips the test (visibly, with the reason) when /dev/kvm is missing or the rule is unsupported. */
  static RuleResult runOrSkip(Rule rule, RuleContext context) {
    String noKvm = Kvm.unavailableReason();
    skipIf(noKvm != null, noKvm);
    RuleResult r = RuleRunner.run(rule, context);
    skipIf(r.status() == RuleResult.Status.UNSUPPORTED, rule.name() + ": " + r.reason().orElse("unsupported"));
    return r;
  }

  private static void skipIf(boolean skip, String reason) {
    if (skip) System.err.println("[skipped] " + reason);
    assumeTrue(!skip, reason);
  }

  static String describe(RuleResult r) {
    return r.rule() + " " + r.status() + r.reason().map(x -> " (" + x + ")").orElse("") + "\n"
        + r.steps().stream().map(ConformReport::line).collect(Collectors.joining("\n"));
  }
}
