package kvmuf.conform;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import kvmuf.conform.rules.MemslotGmemFlagsEinval;
import kvmuf.model.Observation;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The rule {@link MemslotGmemFlagsEinval} on this machine's /dev/kvm: passes (or skips with the reason where
 * guest_memfd has no MMAP), and a kernel that let dirty logging through on a guest_memfd slot is caught at that step.
 */
@Tag("kvm")
@Timeout(120)
class ConformMemslotGmemFlagsEinvalTest {
  @Test
  void theKernelRefusesBothAndTheSlotKeepsWorking() {
    RuleResult r = ConformRuleSupport.assertPasses(MemslotGmemFlagsEinval.RULE);
    assertThat(r.kernelSteps()).isEqualTo(3);
  }

  @Test
  void aKernelAcceptingDirtyLoggingOnGuestMemfdDivergesAtThatStep() {
    RuleContext accepting = RuleContext.standard().withTamper((i, e) -> i == 1
        ? new Expectation(List.of(KernelVm.shows(new Observation.Ioctl("ok"))), e.source()) : e);
    RuleResult r = ConformRuleSupport.runOrSkip(MemslotGmemFlagsEinval.RULE, accepting);
    assertThat(r.status()).isEqualTo(RuleResult.Status.DIVERGENCE);
    assertThat(r.divergentStep().orElseThrow().index()).isEqualTo(1);
    assertThat(r.divergentStep().orElseThrow().observed().orElseThrow().result()).isEqualTo(new Observation.Ioctl("EINVAL"));
  }
}
