package kvmuf.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ModelTest {
  @Test
  void initMatchesTheConfig() {
    Model gmem = new Model(Config.load("small-gmem"));
    State s = gmem.init();
    assertThat(StateBits.uf(s.view())).isTrue();
    assertThat(StateBits.bitmap(s.view(), 0)).isTrue();
    assertThat(StateBits.present(s.view(), 1)).as("guest_memfd is preallocated").isTrue();
    Model anon = new Model(Config.load("small"));
    assertThat(StateBits.uf(anon.init().view())).isFalse();
    assertThat(StateBits.present(anon.init().view(), 0)).isFalse();
    assertThat(StateBits.budget(anon.init().view(), 1)).isEqualTo(1);
  }

  @Test
  void aMarkedGfnInAUserfaultSlotExitsWithTheUserfaultFlag() {
    Model m = new Model(Config.load("small-gmem"));
    State s = m.init();
    State fault = step(m, s, new Action.Access(0, 1));
    assertThat(Pc.of(StateBits.pc(fault.view(), 0))).isEqualTo(Pc.FAULTED);
    State exited = step(m, fault, new Action.CheckBitmap(0));
    assertThat(Pc.of(StateBits.pc(exited.view(), 0))).isEqualTo(Pc.EXITED);
    assertThat(StateBits.exitFlags(exited.view(), 0)).isTrue();
    assertThat(Invariant.ExitWellFormed.holds(m.config(), exited.view())).isTrue();
  }

  @Test
  void wrongExitFlagsBreaksExitWellFormed() {
    Model m = new Model(Config.load("small-gmem").withMutants(java.util.EnumSet.of(MutantId.WrongExitFlags)));
    State exited = step(m, step(m, m.init(), new Action.Access(0, 0)), new Action.CheckBitmap(0));
    assertThat(Invariant.ExitWellFormed.holds(m.config(), exited.view())).isFalse();
  }

  @Test
  void actionCodesRoundTrip() {
    for (Action a : List.of(new Action.Access(2, 5), new Action.UffdWake(3), new Action.CommitMemslot(), new Action.Install(1))) {
      assertThat(Action.decode(a.code())).isEqualTo(a);
    }
  }

  @Test
  void symmetryIsASortOfTheVcpuSlots() {
    for (int vcpus = 2; vcpus <= 4; vcpus++) {
      int words = StateBits.words(2, vcpus);
      // every vCPU a different pc, then the same multiset of slots in the reverse order
      long[] s = new long[words];
      long[] reversed = new long[words];
      for (int c = 0; c < vcpus; c++) {
        StateBits.setV(s, c, StateBits.PC, c + 1);
        StateBits.setV(reversed, vcpus - 1 - c, StateBits.PC, c + 1);
      }
      StateBits.set(s, StateBits.SEQ, 1);
      StateBits.set(reversed, StateBits.SEQ, 1);
      long[] other = s.clone();
      StateBits.setV(other, 0, StateBits.PC, 9);
      StateBits.canonicalVcpus(s, vcpus);
      StateBits.canonicalVcpus(reversed, vcpus);
      StateBits.canonicalVcpus(other, vcpus);
      assertThat(s).as("%d vCPUs", vcpus).isEqualTo(reversed);
      assertThat(other).as("%d vCPUs", vcpus).isNotEqualTo(s);
      for (int c = 1; c < vcpus; c++) {
        assertThat(StateBits.pc(s, c - 1)).as("sorted").isLessThan(StateBits.pc(s, c));
      }
      assertThat(StateBits.mmuSeq(s)).as("global fields untouched").isEqualTo(1);
    }
  }

  @Test
  void everyConfigSizeUpToFourVcpusAndEightGfnsHasRoomAndKeepsFieldsApart() {
    for (int vcpus = 1; vcpus <= 4; vcpus++) {
      for (int gfns = 1; gfns <= 8; gfns++) {
        long[] s = new long[StateBits.words(gfns, vcpus)];
        for (int x = 0; x < gfns; x++) {
          StateBits.setGfn(s, x, StateBits.ARMED, 1);
          StateBits.setGfn(s, x, StateBits.SPTE, x % 3);
        }
        for (int c = 0; c < vcpus; c++) {
          StateBits.setV(s, c, StateBits.STALE, 1);
          StateBits.setV(s, c, StateBits.PC, c + 3);
        }
        StateBits.set(s, StateBits.BG_STAGE, 2);
        for (int x = 0; x < gfns; x++) {
          assertThat(StateBits.armed(s, x)).isTrue();
          assertThat(StateBits.bitmap(s, x)).isFalse();
          assertThat(StateBits.spte(s, x)).isEqualTo(x % 3);
        }
        for (int c = 0; c < vcpus; c++) {
          assertThat(StateBits.stale(s, c)).isTrue();
          assertThat(StateBits.pc(s, c)).isEqualTo(c + 3);
          assertThat(StateBits.budget(s, c)).isZero();
        }
        assertThat(StateBits.bgStage(s)).isEqualTo(2);
        assertThat(StateBits.bgGfn(s)).isZero();
      }
    }
  }

  private static State step(Model m, State s, Action a) {
    return m.successors(s).stream().filter(t -> t.action().equals(a)).findFirst().orElseThrow().next();
  }
}
