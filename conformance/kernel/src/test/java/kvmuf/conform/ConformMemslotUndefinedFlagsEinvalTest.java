package kvmuf.conform;

import static org.assertj.core.api.Assertions.assertThat;

import kvmuf.conform.rules.MemslotUndefinedFlagsEinval;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The rule {@link MemslotUndefinedFlagsEinval} on this machine's /dev/kvm: passes, or skips with the reason where the kernel lacks what it needs. */
@Tag("kvm")
@Timeout(120)
class ConformMemslotUndefinedFlagsEinvalTest {
  @Test
  void theKernelRefusesItAndTheSlotKeepsWorking() {
    RuleResult r = ConformRuleSupport.assertPasses(MemslotUndefinedFlagsEinval.RULE);
    assertThat(r.kernelSteps()).isPositive();
  }
}
