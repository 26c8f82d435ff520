package kvmuf.conform;

import static org.assertj.core.api.Assertions.assertThat;

import kvmuf.model.Action;
import org.junit.jupiter.api.Test;

/** Model actions map onto kernel steps of the same name; hidden steps have none. */
class ConformStepsTest {
  @Test
  void apiActionsKeepTheirNamesAndHiddenStepsHaveNoKernelStep() {
    for (int code : new int[] {Action.ACCESS, Action.UFFD_READ, Action.UFFD_INSTALL, Action.UFFD_WAKE, Action.SET_BIT,
        Action.INVALIDATE, Action.ENABLE_USERFAULT, Action.DISABLE_USERFAULT, Action.ENABLE_DIRTY_LOG, Action.DISABLE_DIRTY_LOG,
        Action.KVM_ACCESS, Action.RESUME_VCPU}) {
      Action a = Action.decode(Action.code(code, 1, 2));
      assertThat(Steps.of(a, v -> 0)).as(a.toString()).hasValueSatisfying(s -> assertThat(s.name()).isEqualTo(a.name()));
    }
    for (int code : new int[] {Action.CHECK_BITMAP, Action.LOOKUP, Action.INSTALL_SPTE, Action.COMMIT_MEMSLOT, Action.FINISHED}) {
      assertThat(Steps.of(Action.decode(Action.code(code, 0, 0)), v -> 0)).isEmpty();
    }
  }

  @Test
  void theExitHandlersActionsNameTheGfnOfTheVcpusExit() {
    assertThat(Steps.of(new Action.Install(1), v -> v == 1 ? 4 : -1)).contains(new Step.Install(4));
    assertThat(Steps.of(new Action.ClearBit(1), v -> v == 1 ? 4 : -1)).contains(new Step.ClearBit(4));
  }
}
