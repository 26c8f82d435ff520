package kvmuf.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The invalidation window and guest writes in the Java model, step by step (the spec's scenarios
 * InvalidateWindow and FastPathDirty, replayed on the packed states).
 */
class WindowAndWritesTest {

  /** spec/scenarios/InvalidateWindow.tla up to v1's install, inside the window. */
  private static State intoTheWindow(Model m) {
    State s = m.init();
    for (Action a : List.of(new Action.Access(0, 0), new Action.CheckBitmap(0), new Action.Lookup(0),
        new Action.UffdRead(0), new Action.UffdInstall(0), new Action.Lookup(0), new Action.InvalidateBegin(0),
        new Action.Access(1, 0), new Action.CheckBitmap(1), new Action.Lookup(1), new Action.UffdRead(0),
        new Action.UffdInstall(0))) {
      s = step(m, s, a);
    }
    return s;
  }

  @Test
  void anInstallInsideTheWindowRetriesThoughTheSeqIsUnchanged() {
    Model m = new Model(Config.load("small"));
    State w = intoTheWindow(m);
    assertThat(StateBits.present(w.view(), 0)).as("repopulated inside the window").isTrue();
    assertThat(StateBits.mmuSeq(w.view())).as("the seq moves only at InvalidateEnd").isZero();
    assertThat(StateBits.getV(w.view(), 0, StateBits.VFREED)).as("v1 holds the freed page").isEqualTo(1);
    State retried = step(m, w, new Action.InstallSpte(0));
    assertThat(Pc.of(StateBits.pc(retried.view(), 0))).isEqualTo(Pc.FAULTED);
    assertThat(StateBits.spte(retried.view(), 0)).isZero();
    State ended = step(m, retried, new Action.InvalidateEnd(0));
    assertThat(StateBits.mmuSeq(ended.view())).isEqualTo(1);
    assertThat(StateBits.get(ended.view(), StateBits.MMU_IN_PROGRESS)).isZero();
  }

  @Test
  void noSeqRetryMapsTheFreedPageAndNoStaleMappingCatchesIt() {
    Model m = new Model(Config.load("small").withMutants(EnumSet.of(MutantId.NoSeqRetry)));
    State stale = step(m, intoTheWindow(m), new Action.InstallSpte(0));
    assertThat(StateBits.spte(stale.view(), 0)).isNotZero();
    assertThat(StateBits.present(stale.view(), 0)).as("a page is there, just not the one mapped").isTrue();
    assertThat(Invariant.NoStaleMapping.holds(m.config(), stale.view())).isFalse();
  }

  @Test
  void theInvalidationEndIsHiddenAndBeginIsTheCall() {
    assertThat(new Action.InvalidateBegin(0).visible()).isTrue();
    assertThat(new Action.InvalidateEnd(0).hidden()).isTrue();
  }

  /** writes-dirty's constants on one vCPU with two accesses, USERFAULT never enabled, on arch. */
  private static Model writes(Config.Arch arch, EnumSet<MutantId> mutants) {
    Config d = Config.load("writes-dirty");
    return new Model(new Config("writes-1vcpu", 1, d.numGfns(), d.hugeSpan(), d.slotKind(), arch, d.uffdMode(),
        Config.UserfaultUse.LATE, d.asyncPf(), true, false, 2, 0, mutants, d.invariants(), false, true, d.slotZap(),
        false, true));
  }

  /** spec/scenarios/FastPathDirty.tla up to the read's install: gfn 0 mapped write-protected. */
  private static State readUnderDirtyLog(Model m) {
    State s = m.init();
    for (Action a : List.of(new Action.EnableDirtyLog(), new Action.CommitMemslot(), new Action.Access(0, 0),
        new Action.CheckBitmap(0), new Action.Lookup(0), new Action.UffdRead(0), new Action.UffdInstall(0),
        new Action.Lookup(0), new Action.InstallSpte(0))) {
      s = step(m, s, a);
    }
    assertThat(StateBits.getGfn(s.view(), 0, StateBits.SPTE_WP)).as("a read in a dirty-logged slot").isEqualTo(1);
    return s;
  }

  @Test
  void x86FixesAWriteProtectedSpteOnTheFastPathAndMarksItDirty() {
    Model m = writes(Config.Arch.X86, EnumSet.noneOf(MutantId.class));
    State w = step(m, readUnderDirtyLog(m), new Action.AccessWrite(0, 0));
    assertThat(Pc.of(StateBits.pc(w.view(), 0))).isEqualTo(Pc.IDLE);
    assertThat(StateBits.budget(w.view(), 0)).isZero();
    assertThat(StateBits.getGfn(w.view(), 0, StateBits.SPTE_WP)).isZero();
    assertThat(StateBits.getGfn(w.view(), 0, StateBits.DIRTY_BIT)).isEqualTo(1);
    assertThat(Invariant.DirtyLogComplete.holds(m.config(), w.view())).isTrue();
  }

  @Test
  void fastPathSkipsDirtyBreaksDirtyLogComplete() {
    Model m = writes(Config.Arch.X86, EnumSet.of(MutantId.FastPathSkipsDirty));
    State w = step(m, readUnderDirtyLog(m), new Action.AccessWrite(0, 0));
    assertThat(Invariant.DirtyLogComplete.holds(m.config(), w.view())).isFalse();
  }

  @Test
  void arm64TakesAPermissionFaultThroughTheFaultPath() {
    Model m = writes(Config.Arch.ARM64, EnumSet.noneOf(MutantId.class));
    State w = step(m, readUnderDirtyLog(m), new Action.AccessWrite(0, 0));
    assertThat(Pc.of(StateBits.pc(w.view(), 0))).as("user_mem_abort(), which checks the bitmap").isEqualTo(Pc.FAULTED);
    assertThat(StateBits.getV(w.view(), 0, StateBits.VWRITE)).isEqualTo(1);
    State fixed = step(m, step(m, step(m, w, new Action.CheckBitmap(0)), new Action.Lookup(0)), new Action.InstallSpte(0));
    assertThat(StateBits.getGfn(fixed.view(), 0, StateBits.SPTE_WP)).isZero();
    assertThat(StateBits.getGfn(fixed.view(), 0, StateBits.DIRTY_BIT)).as("make_spte() marks it").isEqualTo(1);
    assertThat(StateBits.getV(fixed.view(), 0, StateBits.VWRITE)).isZero();
  }

  private static State step(Model m, State s, Action a) {
    return m.successors(s).stream().filter(t -> t.action().equals(a)).findFirst()
        .orElseThrow(() -> new AssertionError(a + " is not enabled")).next();
  }
}
