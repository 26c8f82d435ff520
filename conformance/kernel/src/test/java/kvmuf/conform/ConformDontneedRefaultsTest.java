package kvmuf.conform;

import static org.assertj.core.api.Assertions.assertThat;

import kvmuf.conform.rules.DontneedRefaults;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The rule {@link DontneedRefaults} on this machine's /dev/kvm: passes, or skips with the reason where the kernel lacks what it needs. */
@Tag("kvm")
@Timeout(120)
class ConformDontneedRefaultsTest {
  @Test
  void madvDontneedMakesTheNextAccessFaultAgain() {
    RuleResult r = ConformRuleSupport.assertPasses(DontneedRefaults.RULE);
    assertThat(r.kernelSteps()).isPositive();
  }
}
