package kvmuf.conform;

import static org.assertj.core.api.Assertions.assertThat;

import kvmuf.conform.rules.UserfaultExit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The rule {@link UserfaultExit} on this machine's /dev/kvm: passes, or skips with the reason where the kernel lacks what it needs. */
@Tag("kvm")
@Timeout(120)
class ConformUserfaultExitTest {
  @Test
  void aMarkedGfnExitsWithAUserfaultMemoryFault() {
    RuleResult r = ConformRuleSupport.assertPasses(UserfaultExit.RULE);
    assertThat(r.kernelSteps()).isPositive();
  }
}
