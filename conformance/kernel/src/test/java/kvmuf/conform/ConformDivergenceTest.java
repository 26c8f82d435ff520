package kvmuf.conform;

import static org.assertj.core.api.Assertions.assertThat;

import kvmuf.conform.rules.DirtyLogHugeMappings;
import kvmuf.conform.rules.MmioOutsideMemslots;
import kvmuf.conform.rules.UffdMissingCopy;
import kvmuf.model.Config.Arch;
import kvmuf.model.Config.UffdMode;
import java.util.List;
import kvmuf.model.Observation;
import kvmuf.model.StepObservation;
import kvmuf.model.ValueClass;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Divergences are caught: each test changes one expectation or one model rule on purpose and checks that
 * the rule reports DIVERGENCE at the step where the kernel and the changed model part ways, with both sides.
 */
@Tag("kvm")
@Timeout(120)
class ConformDivergenceTest {
  @Test
  void anMmioExpectationOffByOnePageIsADivergenceAtTheAccess() {
    RuleContext offByOnePage = RuleContext.standard().withTamper((i, e) -> {
      var m = (Observation.MmioExit) e.observation().result();
      return new Expectation(List.of(KernelVm.shows(new Observation.MmioExit(m.gpa() + 4096, m.len(), m.write()))), e.source());
    });
    RuleResult r = ConformRuleSupport.runOrSkip(MmioOutsideMemslots.RULE, offByOnePage);
    assertThat(r.status()).isEqualTo(RuleResult.Status.DIVERGENCE);
    StepRecord s = r.divergentStep().orElseThrow();
    long gpa = (TargetSetup.PAGES_2M + 16) * Observation.PAGE_SIZE; // relative to the slot's gfn 0, as every exit
    assertThat(s.index()).isEqualTo(1);
    assertThat(s.step()).isEqualTo("Access(v0, g" + (TargetSetup.PAGES_2M + 16) + ")");
    assertThat(s.expected().orElseThrow().observation().result()).isEqualTo(new Observation.MmioExit(gpa + 4096, 4, false));
    assertThat(s.observed().orElseThrow().result()).isEqualTo(new Observation.MmioExit(gpa, 4, false));
  }

  @Test
  void aModelWithoutUserfaultfdExpectsAZeroReadWhereTheKernelBlocks() {
    // Change one model rule: the model's slot has no userfaultfd, so its Lookup fills a zero page.
    RuleContext noUffd = RuleContext.standard().withModel(c -> ModelConfigs.withUffd(c, UffdMode.NONE));
    RuleResult r = ConformRuleSupport.runOrSkip(UffdMissingCopy.RULE, noUffd);
    assertThat(r.status()).isEqualTo(RuleResult.Status.DIVERGENCE);
    StepRecord s = r.divergentStep().orElseThrow();
    assertThat(s.index()).isEqualTo(1);
    assertThat(s.step()).isEqualTo("Access(v0, g0)");
    assertThat(s.expected().orElseThrow().source()).isEqualTo(Expectation.Source.MODEL);
    assertThat(s.expected().orElseThrow().allowed()).extracting(StepObservation::result).containsExactly(new Observation.Read(ValueClass.ZERO));
    assertThat(s.observed().orElseThrow().result()).isEqualTo(new Observation.UffdBlocked(0));
    assertThat(r.steps()).hasSize(1);
  }

  @Test
  void aModelThatKeepsSmallMappingsAfterDirtyLoggingDivergesAtTheLastCount() {
    // arm64's commit recovers nothing: on an x86 kernel that counts mappings, the last pages_2m differs.
    RuleContext arm64 = RuleContext.standard().withModel(c -> ModelConfigs.withArch(c, Arch.ARM64));
    RuleResult r = ConformRuleSupport.runOrSkip(DirtyLogHugeMappings.RULE, arm64);
    assertThat(r.status()).isEqualTo(RuleResult.Status.DIVERGENCE);
    StepRecord s = r.divergentStep().orElseThrow();
    assertThat(s.step()).isEqualTo("ReadMappings()");
    assertThat(s.index()).isEqualTo(r.steps().size());
    StepObservation expected = s.expected().orElseThrow().observation();
    StepObservation observed = s.observed().orElseThrow();
    assertThat(observed.pages2m()).isEqualTo(expected.pages2m() + 1);
  }
}
