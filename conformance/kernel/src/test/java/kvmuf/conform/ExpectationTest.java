package kvmuf.conform;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import kvmuf.model.Observation;
import kvmuf.model.StepObservation;
import kvmuf.model.ValueClass;
import kvmuf.trace.Target;
import org.junit.jupiter.api.Test;

/**
 * A rule's expectation compares the page counts the kernel observed and only those: none for an action (the kernel
 * target does not observe them), pages_2m alone for a huge-frame check (no kernel here needs to count mappings for
 * this test: the VM stage found that a check on pages_2m alone once compared nothing).
 */
class ExpectationTest {
  static final int NO = Target.PAGES_NOT_OBSERVED;

  static StepObservation obs(Observation r, int p4, int p2) {
    return new StepObservation(r, Map.of(), p4, p2);
  }

  @Test
  void aHugeFrameCheckComparesPages2m() {
    Expectation one = Expectation.model(obs(new Observation.Done(), NO, 1));
    assertThat(one.matches(obs(new Observation.Done(), NO, 1))).isTrue();
    assertThat(one.matches(obs(new Observation.Done(), NO, 2))).as("one huge frame more than the model maps").isFalse();
    assertThat(one.matches(obs(new Observation.Done(), NO, 0))).isFalse();
  }

  @Test
  void anActionIsComparedWithoutTheCountsTheKernelDidNotObserve() {
    Expectation read = Expectation.model(obs(new Observation.Read(ValueClass.FETCHED), 1, 0));
    assertThat(read.matches(obs(new Observation.Read(ValueClass.FETCHED), NO, NO))).isTrue();
    assertThat(read.matches(obs(new Observation.Read(ValueClass.ZERO), NO, NO))).isFalse();
    assertThat(read.matches(obs(new Observation.Read(ValueClass.FETCHED), 1, 0))).isTrue();
    assertThat(read.matches(obs(new Observation.Read(ValueClass.FETCHED), 2, 0))).as("both counts observed: both compared").isFalse();
  }
}
