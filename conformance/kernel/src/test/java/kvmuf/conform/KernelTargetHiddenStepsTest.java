package kvmuf.conform;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import kvmuf.model.Action;
import org.junit.jupiter.api.Test;

/**
 * Model actions are the kernel target's steps, by the same names; the hidden ones (the kernel runs them inside
 * the call before them) have no kernel step and answer unsupported with the reason, never a made-up result.
 */
class KernelTargetHiddenStepsTest {
  @Test
  void hiddenStepsHaveNoKernelStep() {
    try (KernelTarget t = new KernelTarget(Optional.empty())) {
      for (int code : new int[] {Action.CHECK_BITMAP, Action.LOOKUP, Action.INSTALL_SPTE, Action.COMMIT_MEMSLOT, Action.FINISHED}) {
        Action a = Action.decode(Action.code(code, 0, 0));
        assertThat(t.step(a)).as(a.show()).isEmpty();
        assertThat(t.unsupported()).hasValueSatisfying(r -> assertThat(r).isEqualTo(a.name() + " has no kernel step"));
      }
    }
  }

  @Test
  void actionsShowWithTheirParametersAsReportsNameThem() {
    assertThat(new Action.Access(0, 3).show()).isEqualTo("Access(v0, g3)");
    assertThat(new Action.Install(1).show()).isEqualTo("Install(v1)");
    assertThat(new Action.UffdWake(2).show()).isEqualTo("UffdWake(g2)");
    assertThat(new Action.EnableUserfault().show()).isEqualTo("EnableUserfault()");
  }
}
