package kvmuf.conform;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import kvmuf.conform.rules.UserfaultNullBitmap;
import kvmuf.conform.rules.UserfaultShortBitmapEfault;
import kvmuf.conform.rules.UserfaultUnalignedBitmap;
import kvmuf.conform.rules.UserfaultUnreadableBitmapEfault;
import kvmuf.model.Observation;
import kvmuf.model.ValueClass;
import kvmuf.sys.Errno;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The bad userfault_bitmap pointer classes on a KVM Userfault kernel (our reference kernel in CI's VM stage; they
 * skip visibly elsewhere): each rule passes, and each fails where a kernel did what its class must not.
 */
@Tag("kvm")
@Timeout(120)
class ConformBitmapPointerTest {
  @Test
  void everyPointerClassDoesWhatTheRevisionDocuments() {
    for (Rule rule : List.of(UserfaultNullBitmap.RULE, UserfaultUnreadableBitmapEfault.RULE, UserfaultShortBitmapEfault.RULE,
        UserfaultUnalignedBitmap.RULE)) {
      ConformRuleSupport.assertPasses(rule);
    }
  }

  @Test
  void aKernelThatReadsAnUnreadableBitmapAsClearIsCaughtAtTheAccess() {
    // As if __get_user's failure were taken for "not marked": the expectation says read, the kernel fails KVM_RUN.
    RuleContext asClear = RuleContext.standard().withTamper((i, e) -> i == 2
        ? new Expectation(List.of(KernelVm.shows(new Observation.Read(ValueClass.ZERO))), e.source()) : e);
    RuleResult r = ConformRuleSupport.runOrSkip(UserfaultUnreadableBitmapEfault.RULE, asClear);
    assertThat(r.status()).isEqualTo(RuleResult.Status.DIVERGENCE);
    StepRecord s = r.divergentStep().orElseThrow();
    assertThat(s.step()).isEqualTo("Access(v0, g0)");
    assertThat(s.observed().orElseThrow().result()).isEqualTo(AgentObservation.failed(Errno.EFAULT));
  }

  @Test
  void aKernelThatRoundsAnUnalignedPointerDownIsCaughtAtTheFirstAccess() {
    // Rounded down to its long, the bitmap's byte 1 (bit 8) would mark gfn 8: the expectation of such a kernel.
    RuleContext roundedDown = RuleContext.standard().withTamper((i, e) -> i == 2
        ? new Expectation(List.of(KernelVm.shows(new Observation.MemoryFaultExit(8 * Observation.PAGE_SIZE, Observation.PAGE_SIZE,
            List.of("USERFAULT")))), e.source()) : e);
    RuleResult r = ConformRuleSupport.runOrSkip(UserfaultUnalignedBitmap.RULE, roundedDown);
    assertThat(r.status()).isEqualTo(RuleResult.Status.DIVERGENCE);
    StepRecord s = r.divergentStep().orElseThrow();
    assertThat(s.index()).isEqualTo(2);
    assertThat(s.observed().orElseThrow().result()).isEqualTo(new Observation.Read(ValueClass.ZERO));
  }
}
