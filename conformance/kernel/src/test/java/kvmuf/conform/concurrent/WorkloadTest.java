package kvmuf.conform.concurrent;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import kvmuf.model.Action;
import kvmuf.model.Config;
import org.junit.jupiter.api.Test;

/** Seeded workloads: a function of (config, seed, run), within what the model allows. */
class WorkloadTest {
  @Test
  void theSameSeedAndRunGiveTheSameWorkloadAndRunsDiffer() {
    Config c = Config.load("conform-upstream");
    assertThat(Workload.of(c, 3, 7)).isEqualTo(Workload.of(c, 3, 7));
    Set<Workload> distinct = new HashSet<>();
    for (int k = 0; k < 20; k++) distinct.add(Workload.of(c, 3, k));
    assertThat(distinct.size()).isGreaterThan(10);
    assertThat(Workload.of(c, 4, 0)).isNotEqualTo(Workload.of(c, 3, 0));
  }

  @Test
  void workloadsStayWithinTheModelsBudgetsGfnsAndMemslotRules() {
    for (String name : List.of("conform-upstream", "small", "small-gmem", "conform-userfault-2vcpu", "small-dirty")) {
      Config c = Config.load(name);
      Set<List<Action>> vmmSeen = new HashSet<>();
      for (int k = 0; k < 200; k++) {
        Workload w = Workload.of(c, 1, k);
        assertThat(w.vcpus()).isEqualTo(c.vcpus());
        for (List<Integer> reads : w.reads()) {
          assertThat(reads.size()).isBetween(1, c.accesses());
          assertThat(reads).allSatisfy(g -> assertThat(g).isBetween(0, c.numGfns() - 1));
        }
        assertThat(w.resolutions()).hasSize(c.numGfns());
        assertThat(w.spins()).hasSize(c.vcpus() + 1).allSatisfy(x -> assertThat(x).isBetween(0, Workload.MAX_SPIN));
        vmmSeen.add(w.vmm());
      }
      // the model enables dirty logging at most once, and disables it only once enabled
      Set<List<Action>> allowed = c.dirtyLog()
          ? Set.of(List.of(), List.of(new Action.EnableDirtyLog()), List.of(new Action.EnableDirtyLog(), new Action.DisableDirtyLog()))
          : Set.of(List.of());
      assertThat(vmmSeen.stream().map(WorkloadTest::dirtyLogOps).collect(java.util.stream.Collectors.toSet())).as(name).isEqualTo(allowed);
      if (c.userfaultUse() == Config.UserfaultUse.NONE) {
        assertThat(vmmSeen).as(name).isEqualTo(allowed);
        continue;
      }
      // KVM Userfault: late marks some gfns (in gfn order) and then enables; start begins enabled with every bit set.
      // A disable (post-copy ended or aborted) only where userfaultfd catches marked gfns.
      boolean late = c.userfaultUse() == Config.UserfaultUse.LATE;
      boolean mayDisable = c.uffdMode() != Config.UffdMode.NONE;
      Set<List<Action>> ufSeen = new HashSet<>();
      for (List<Action> vmm : vmmSeen) {
        List<Action> uf = vmm.stream().filter(a -> !(a instanceof Action.EnableDirtyLog || a instanceof Action.DisableDirtyLog
            || a instanceof Action.InvalidateBegin)).toList();
        assertThat(vmm.stream().filter(a -> a instanceof Action.InvalidateBegin).count()).as(name + " " + vmm).isLessThanOrEqualTo(c.maxInvalidate());
        ufSeen.add(uf);
        int enable = uf.indexOf(new Action.EnableUserfault());
        assertThat(enable).as(name + " " + uf).isEqualTo(late ? uf.stream().filter(a -> a instanceof Action.SetBit).count() : -1);
        assertThat(uf.subList(0, Math.max(0, enable))).as(name + " " + uf).allSatisfy(a -> assertThat(a).isInstanceOf(Action.SetBit.class))
            .isSortedAccordingTo(java.util.Comparator.comparingInt(a -> ((Action.SetBit) a).gfn())).doesNotHaveDuplicates();
        if (late) assertThat(enable).as(name + " " + uf).isPositive();
        assertThat(uf.subList(enable + 1, uf.size())).as(name + " " + uf)
            .isSubsetOf(mayDisable ? List.of(new Action.DisableUserfault()) : List.of()).hasSizeLessThan(2);
      }
      if (mayDisable) {
        assertThat(ufSeen).as(name + ": post-copy is sometimes ended").anyMatch(uf -> uf.contains(new Action.DisableUserfault()))
            .anyMatch(uf -> !uf.contains(new Action.DisableUserfault()));
      }
      if (late) assertThat(ufSeen).as(name + ": the marks vary").anyMatch(uf -> uf.size() == 2).anyMatch(uf -> uf.size() > 2);
      // both kinds of request, in both orders, where the config has both
      if (c.dirtyLog() && late) {
        assertThat(vmmSeen).as(name).anyMatch(v -> v.indexOf(new Action.EnableDirtyLog()) == 0)
            .anyMatch(v -> v.indexOf(new Action.EnableDirtyLog()) > v.indexOf(new Action.EnableUserfault()));
      }
    }
  }

  private static List<Action> dirtyLogOps(List<Action> vmm) {
    return vmm.stream().filter(a -> a instanceof Action.EnableDirtyLog || a instanceof Action.DisableDirtyLog).toList();
  }

  @Test
  void theBackgroundFetchVisitsEveryGfnOnceInASeededOrderOnlyWhereTheConfigHasIt() {
    Config c = Config.load("gmem-fetch");
    Set<List<Integer>> orders = new HashSet<>();
    for (int k = 0; k < 40; k++) {
      Workload w = Workload.of(c, 1, k);
      assertThat(w.fetches()).containsExactlyInAnyOrder(0, 1);
      assertThat(w.spins()).hasSize(c.vcpus() + 2);
      assertThat(w.describe()).contains("; fetch g");
      orders.add(w.fetches());
    }
    assertThat(orders).as("both orders are drawn").hasSize(2);
    Workload up = Workload.of(Config.load("conform-upstream"), 1, 0);
    assertThat(up.fetches()).isEmpty();
    assertThat(up.spins()).hasSize(Config.load("conform-upstream").vcpus() + 1);
    assertThat(up.fetchSpin()).isZero();
  }

  @Test
  void userfaultStartConfigsBeginEnabledAndMayOnlyEndPostCopy() {
    Config c = Config.load("frames-gmem"); // UserfaultUse = start, guest_memfd without userfaultfd: no disable
    for (int k = 0; k < 50; k++) assertThat(Workload.of(c, 1, k).vmm()).isEmpty();
  }

  @Test
  void describeNamesEveryThreadsPart() {
    Workload w = new Workload(List.of(List.of(0, 1), List.of(1)), List.of(Resolution.COPY, Resolution.COPY_DONTWAKE_THEN_WAKE),
        List.of(new Action.EnableDirtyLog()), List.of(0, 0, 0));
    assertThat(w.describe()).isEqualTo(
        "vcpu0 reads g0 g1; vcpu1 reads g1; g0 UFFDIO_COPY; g1 UFFDIO_COPY(DONTWAKE)+UFFDIO_WAKE; vmm EnableDirtyLog");
    assertThat(w.accesses()).isEqualTo(3);
  }

  @Test
  void kvmReadsOnlyWhereTheConfigHasThem() {
    int kvm = 0;
    for (int run = 0; run < 20; run++) {
      Workload up = Workload.of(Config.load("conform-upstream"), 1, run);
      for (int v = 0; v < up.vcpus(); v++) for (int k = 0; k < up.reads().get(v).size(); k++) assertThat(up.kvmRead(v, k)).isFalse();
      Workload w = Workload.of(Config.load("conform-kvm-access"), 1, run);
      for (int v = 0; v < w.vcpus(); v++) for (int k = 0; k < w.reads().get(v).size(); k++) if (w.kvmRead(v, k)) kvm++;
      assertThat(w).isEqualTo(Workload.of(Config.load("conform-kvm-access"), 1, run));
    }
    assertThat(kvm).as("some of conform-kvm-access's reads are KVM's").isPositive();
  }
}
