package kvmuf.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Observations read off model states, hidden steps taken one at a time (the trace layer closes over them). */
class ObservationsTest {
  static State step(Model m, State s, Action a) {
    return m.successors(s).stream().filter(t -> t.action().equals(a)).findFirst().orElseThrow().next();
  }

  static Optional<Observation> result(Model m, State before, Action a, State after) {
    return Observations.result(m.config(), a.code(), before.view(), after.view());
  }

  @Test
  void everyActionIsVisibleOrHiddenAndVisibleOnesHaveAnActor() {
    int hidden = 0;
    for (int kind = 0; kind <= Action.FINISHED; kind++) {
      Action a = Action.decode(Action.code(kind, 1, 1));
      if (Observations.hidden(a.code())) {
        hidden++;
        assertThat(a.name()).isIn("CheckBitmap", "Lookup", "InstallSpte", "CommitMemslot");
      } else if (Observations.visible(a.code())) {
        assertThat(Observations.actor(a)).matches("vcpu1|uffd|vmm");
      } else {
        assertThat(a).isEqualTo(new Action.Finished());
      }
    }
    assertThat(hidden).isEqualTo(4);
  }

  @Test
  void aFaultIsUndeterminedUntilItsHiddenStepsReachAResult() {
    Model m = new Model(Config.load("small-gmem"));
    State s = m.init();
    Action access = new Action.Access(1, 1);
    State fault = step(m, s, access);
    assertThat(result(m, s, access, fault)).as("still in the fault path").isEmpty();
    State exited = step(m, fault, new Action.CheckBitmap(1));
    assertThat(result(m, s, access, exited)).contains(new Observation.MemoryFaultExit(4096, 4096, List.of("USERFAULT")));
    // The exit handler: install (no userfaultfd: a plain write), clear the bit, resume; then the access reads.
    State installed = step(m, exited, new Action.Install(1));
    assertThat(result(m, exited, new Action.Install(1), installed)).contains(new Observation.Done());
    State resumed = step(m, step(m, installed, new Action.ClearBit(1)), new Action.ResumeVcpu(1));
    State lookup = step(m, step(m, resumed, access), new Action.CheckBitmap(1));
    State done = step(m, step(m, lookup, new Action.Lookup(1)), new Action.InstallSpte(1));
    Optional<StepObservation> o = Observations.step(m.config(), access.code(), resumed.view(), done.view());
    assertThat(o).contains(new StepObservation(new Observation.Read(ValueClass.FETCHED), java.util.Map.of(), 1, 0));
  }

  @Test
  void mappingSizesCountSmallGfnsAndHugeFrames() {
    Config c = Config.load("default");
    long[] g = new long[StateBits.words(c)];
    StateBits.setGfn(g, 0, StateBits.SPTE, Spte.HUGE.ordinal());
    StateBits.setGfn(g, 1, StateBits.SPTE, Spte.HUGE.ordinal());
    assertThat(Observations.pages2m(c, g)).isEqualTo(1);
    assertThat(Observations.pages4k(c, g)).isZero();
    StateBits.setGfn(g, 1, StateBits.SPTE, Spte.SMALL.ordinal());
    StateBits.setGfn(g, 0, StateBits.SPTE, Spte.SMALL.ordinal());
    assertThat(Observations.pages4k(c, g)).isEqualTo(2);
    assertThat(Observations.pages2m(c, g)).isZero();
  }

  @Test
  void aWokenFaultThatReRunsAfterADeleteShowsItsMmioExitNotARead() {
    Model m = new Model(Config.load("small-delete"));
    State s = m.init();
    State waiting = step(m, step(m, step(m, s, new Action.Access(0, 0)), new Action.CheckBitmap(0)), new Action.Lookup(0));
    assertThat(result(m, s, new Action.Access(0, 0), waiting)).contains(new Observation.UffdBlocked(0));
    State read = step(m, step(m, waiting, new Action.DeleteSlot()), new Action.UffdRead(0));
    Action install = new Action.UffdInstall(0);
    State woken = step(m, read, install);
    // the fault installs its SPTE under the pending DELETE, whose commit zaps it before the guest re-enters
    State zapped = step(m, step(m, step(m, woken, new Action.Lookup(0)), new Action.InstallSpte(0)), new Action.CommitSlotChange());
    State exited = step(m, step(m, zapped, new Action.ReenterGuest(0)), new Action.MmioExit(0));
    assertThat(Observations.unblocked(m.config(), install.code(), read.view(), exited.view()))
        .containsEntry("vcpu0", new Observation.MmioExit(0, 4, false));
    // a woken fault that completes before the commit reads the page it waited for
    State completed = step(m, step(m, step(m, woken, new Action.Lookup(0)), new Action.InstallSpte(0)), new Action.ReenterGuest(0));
    assertThat(Observations.unblocked(m.config(), install.code(), read.view(), completed.view()))
        .containsEntry("vcpu0", new Observation.Read(ValueClass.FETCHED));
  }
}
