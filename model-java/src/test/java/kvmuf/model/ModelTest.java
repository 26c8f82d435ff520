package kvmuf.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ModelTest {
  @Test
  void initMatchesTheConfig() {
    Model gmem = new Model(Config.load("small-gmem"));
    State s = gmem.init();
    assertThat(StateBits.uf(s.g())).isTrue();
    assertThat(StateBits.bitmap(s.g(), 0)).isTrue();
    assertThat(StateBits.present(s.g(), 1)).as("guest_memfd is preallocated").isTrue();
    Model anon = new Model(Config.load("small"));
    assertThat(StateBits.uf(anon.init().g())).isFalse();
    assertThat(StateBits.present(anon.init().g(), 0)).isFalse();
    assertThat(StateBits.budget(anon.init().v(), 1)).isEqualTo(1);
  }

  @Test
  void aMarkedGfnInAUserfaultSlotExitsWithTheUserfaultFlag() {
    Model m = new Model(Config.load("small-gmem"));
    State s = m.init();
    State fault = step(m, s, new Action.Access(0, 1));
    assertThat(Pc.of(StateBits.pc(fault.v(), 0))).isEqualTo(Pc.FAULTED);
    State exited = step(m, fault, new Action.CheckBitmap(0));
    assertThat(Pc.of(StateBits.pc(exited.v(), 0))).isEqualTo(Pc.EXITED);
    assertThat(StateBits.exitFlags(exited.v(), 0)).isTrue();
    assertThat(Invariant.ExitWellFormed.holds(m.config(), exited.g(), exited.v())).isTrue();
  }

  @Test
  void wrongExitFlagsBreaksExitWellFormed() {
    Model m = new Model(Config.load("small-gmem").withMutants(java.util.EnumSet.of(MutantId.WrongExitFlags)));
    State exited = step(m, step(m, m.init(), new Action.Access(0, 0)), new Action.CheckBitmap(0));
    assertThat(Invariant.ExitWellFormed.holds(m.config(), exited.g(), exited.v())).isFalse();
  }

  @Test
  void actionCodesRoundTrip() {
    for (Action a : List.of(new Action.Access(2, 5), new Action.UffdWake(3), new Action.CommitMemslot(), new Action.Install(1))) {
      assertThat(Action.decode(a.code())).isEqualTo(a);
    }
  }

  @Test
  void symmetryIsASortOfTheVcpuSlots() {
    long v = StateBits.setV(StateBits.setV(0, 0, StateBits.PC, 4, 5), 1, StateBits.PC, 4, 2);
    long swapped = StateBits.setV(StateBits.setV(0, 0, StateBits.PC, 4, 2), 1, StateBits.PC, 4, 5);
    assertThat(StateBits.canonicalVcpus(v, 2)).isEqualTo(StateBits.canonicalVcpus(swapped, 2));
    assertThat(StateBits.canonicalVcpus(v, 2)).isNotEqualTo(StateBits.canonicalVcpus(
        StateBits.setV(0, 0, StateBits.PC, 4, 5), 2));
  }

  private static State step(Model m, State s, Action a) {
    return m.successors(s).stream().filter(t -> t.action().equals(a)).findFirst().orElseThrow().next();
  }
}
