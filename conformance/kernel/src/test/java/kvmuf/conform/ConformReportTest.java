package kvmuf.conform;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import kvmuf.model.Observation;
import kvmuf.model.ValueClass;
import org.junit.jupiter.api.Test;

/** How results read: a divergence names its step with expected (and where it came from) and observed. */
class ConformReportTest {
  static final RuleResult PASS = new RuleResult("a-rule", RuleResult.Status.PASS, Optional.empty(), List.of(), 3);
  static final RuleResult UNSUPPORTED =
      new RuleResult("uf-rule", RuleResult.Status.UNSUPPORTED, Optional.of("SetBit: unsupported: KVM_CAP_USERFAULT not offered"), List.of(), 1);
  static final RuleResult DIVERGED = new RuleResult("uffd-rule", RuleResult.Status.DIVERGENCE, Optional.empty(), List.of(
      new StepRecord(1, "Access(v0, g0)", Optional.of(Expectation.model(KernelVm.shows(new Observation.Read(ValueClass.ZERO)))),
          Optional.of(KernelVm.shows(new Observation.UffdBlocked(0))), false)), 1);

  @Test
  void textNamesTheDivergentStepAndCountsEverything() {
    List<String> text = new ConformReport("host", "6.12", "upstream", List.of(PASS, UNSUPPORTED, DIVERGED)).text();
    assertThat(String.join("\n", text))
        .contains("pass         a-rule")
        .contains("unsupported  uf-rule" + " ".repeat(28) + "SetBit: unsupported: KVM_CAP_USERFAULT")
        .contains("DIVERGENCE   uffd-rule")
        .contains("at step 1: Access(v0, g0)")
        .contains("expected (model): read(zero)")
        .contains("observed: uffd_blocked(g0)");
    assertThat(text.getLast()).isEqualTo("rules run 3, passed 1, diverged 1, unsupported 1; steps run 5 (unsupported 0)");
  }

  @Test
  @SuppressWarnings("unchecked")
  void jsonCarriesCountsAndTheDivergence() {
    ConformReport r = new ConformReport("host", "6.12", "upstream", List.of(PASS, DIVERGED));
    assertThat(r.diverged()).isTrue();
    Map<String, Object> j = r.json();
    assertThat((Map<String, Object>) j.get("counts")).containsEntry("rulesRun", 2).containsEntry("diverged", 1L).containsEntry("stepsRun", 4L);
    Map<String, Object> second = (Map<String, Object>) ((List<Object>) j.get("rules")).get(1);
    assertThat(second.get("result")).isEqualTo("divergence");
    assertThat((Map<String, Object>) second.get("divergence")).containsEntry("i", 1).containsEntry("expected", "read(zero)").containsEntry("source", "model");
  }
}
