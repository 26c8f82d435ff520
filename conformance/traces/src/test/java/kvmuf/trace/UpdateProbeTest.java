package kvmuf.trace;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.Observation;
import org.junit.jupiter.api.Test;

/** An update probe makes its memslot update as early as the protocol allows, then touches every gfn, and replays on the model. */
class UpdateProbeTest {
  @Test
  void guestMemfdDisableComesAfterTheBackgroundFetchClearedEveryBitAndThenEachGfnFaultsAndReads() {
    Config c = Config.load("gmem-fetch");
    Trace t = new UpdateProbe(c, 12, 2_000).find(Action.DisableUserfault.class, "uf-v3").orElseThrow();
    List<Action> actions = t.steps().stream().map(TraceStep::action).toList();
    // DisableUserfault on guest_memfd without userfaultfd needs every bit clear: the fetch of both gfns first
    assertThat(actions).containsExactly(new Action.FetchInstall(0), new Action.FetchClearBit(0), new Action.FetchInstall(1),
        new Action.FetchClearBit(1), new Action.DisableUserfault(), new Action.Access(0, 0), new Action.Access(1, 1));
    // no SPTE was installed before the flags-only change: each access faults on the new slot, and reads
    for (TraceStep s : t.steps().subList(5, 7)) {
      assertThat(s.observations()).allSatisfy(o -> assertThat(o.result()).isInstanceOf(Observation.Read.class));
    }
    assertThat(t.header().generator()).isEqualTo("after:DisableUserfault");
    Replayer.Result r = new Replayer(new ModelTarget(ModelTarget.Choice.FIRST)).replay(t, null);
    assertThat(r.ok()).isTrue();
    assertThat(r.unsupported()).isEmpty();
  }

  @Test
  void theEnableIsMadeOnceABitIsSetAndTheMarkedGfnThenExits() {
    Trace t = new UpdateProbe(Config.load("small"), 12, 2_000).find(Action.EnableUserfault.class, "uf-v3").orElseThrow();
    assertThat(t.steps().stream().map(TraceStep::action).toList())
        .containsExactly(new Action.SetBit(0), new Action.EnableUserfault(), new Action.Access(0, 0), new Action.Access(1, 1));
    assertThat(t.steps().get(2).observations()).allSatisfy(o -> assertThat(o.result()).isInstanceOf(Observation.MemoryFaultExit.class));
    assertThat(new Replayer(new ModelTarget(ModelTarget.Choice.FIRST)).replay(t, null).ok()).isTrue();
  }

  @Test
  void anUpdateTheConfigNeverMakesHasNoProbe() {
    UpdateProbe p = new UpdateProbe(Config.load("small-gmem"), 12, 2_000);
    assertThat(p.find(Action.EnableUserfault.class, "uf-v3")).as("USERFAULT is on from the start").isEmpty();
    assertThat(p.find(Action.EnableDirtyLog.class, "uf-v3")).as("no dirty logging on guest_memfd").isEmpty();
    assertThat(p.find(Action.MoveSlot.class, "uf-v3")).as("no slot changes").isEmpty();
  }
}
