package kvmuf.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The one table of actors and hidden steps, and the lookups by int code and by name that read it. */
class ActionTableTest {
  @Test
  void everyKindHasOneRowAndTheIntLookupsAgreeWithIt() {
    List<Action> kinds = Action.kinds();
    assertThat(kinds).hasSize(Action.ACCESS_WRITE + 1);
    for (int k = 0; k < kinds.size(); k++) {
      Action a = Action.decode(Action.code(k, 2, 3));
      assertThat(kinds.get(k).name()).isEqualTo(a.name());
      assertThat(Action.hidden(a.code())).as(a.name()).isEqualTo(a.hidden());
      assertThat(Action.visible(a.code())).as(a.name()).isEqualTo(a.visible());
      assertThat(Action.actor(a.code())).as(a.name()).isEqualTo(a.actor());
      assertThat(Action.actorOf(a.name())).contains(a.actor());
    }
    assertThat(Action.actorOf("Init")).isEmpty();
  }

  @Test
  void theHiddenStepsAreTheKernelInternalOnes() {
    assertThat(Action.kinds().stream().filter(Action::hidden).map(Action::name))
        .containsExactly("CheckBitmap", "Lookup", "InstallSpte", "CommitMemslot", "ReenterGuest", "InvalidateEnd");
    assertThat(new Action.Finished().visible()).isFalse();
    assertThat(new Action.Finished().hidden()).isFalse();
    assertThat(Action.kinds().stream().filter(Action::visible)).hasSize(17);
  }

  @Test
  void actorNamesAreTheTraceFormats() {
    assertThat(new Action.Access(1, 0).actorName()).isEqualTo("vcpu1");
    assertThat(new Action.KvmAccess(2, 0).actorName()).isEqualTo("vcpu2");
    assertThat(new Action.Install(1).actor()).isEqualTo(Action.Actor.EXIT_HANDLER);
    assertThat(new Action.Install(1).actorName()).isEqualTo("vcpu1");
    assertThat(new Action.ResumeVcpu(0).actingVcpu()).isZero();
    assertThat(new Action.UffdWake(1).actorName()).isEqualTo("uffd");
    assertThat(new Action.UffdWake(1).actingVcpu()).isEqualTo(-1);
    assertThat(new Action.InvalidateBegin(1).actorName()).isEqualTo("vmm");
    // the rest of the same madvise call: hidden, so a trace never names it
    assertThatThrownBy(() -> new Action.InvalidateEnd(1).actorName()).hasMessageContaining("hidden action");
    assertThat(new Action.AccessWrite(2, 1).actorName()).isEqualTo("vcpu2");
    assertThat(new Action.EnableDirtyLog().actorName()).isEqualTo("vmm");
    assertThat(new Action.FetchInstall(1).actor()).isEqualTo(Action.Actor.FETCH);
    assertThat(new Action.FetchClearBit(1).actorName()).isEqualTo("fetch");
    assertThat(new Action.CommitMemslot().actor()).isEqualTo(Action.Actor.KERNEL);
    assertThat(new Action.Lookup(1).actor()).isEqualTo(Action.Actor.VCPU);
    assertThatThrownBy(() -> new Action.Lookup(1).actorName()).hasMessageContaining("hidden action");
    assertThatThrownBy(() -> new Action.CommitMemslot().actorName()).hasMessageContaining("hidden action");
    assertThatThrownBy(() -> new Action.Finished().actorName()).hasMessage("Finished has no actor");
  }
}
