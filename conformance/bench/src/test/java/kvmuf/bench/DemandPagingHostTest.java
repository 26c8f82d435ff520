package kvmuf.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import kvmuf.kvm.Kvm;
import kvmuf.kvm.UapiProfile;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The bench on this kernel's /dev/kvm: vCPUs running the guest agent's touch loop; skipped (with the reason) without KVM. */
@Tag("kvm")
@Timeout(120)
class DemandPagingHostTest {
  static Kvm openKvmOrSkip() {
    String reason = Kvm.unavailableReason();
    if (reason != null) System.err.println("[skipped] " + reason);
    assumeTrue(reason == null, reason);
    return Kvm.open();
  }

  @ParameterizedTest
  @EnumSource(Backing.class)
  void vcpusTouchEveryPageOnceAndEachFaultIsServedOnce(Backing backing) {
    DemandPagingThreadsTest.assumeUffd();
    try (Kvm kvm = openKvmOrSkip()) {
      BenchConfig c = new BenchConfig(Target.HOST, List.of(2), 1L << 20, List.of(Mode.NONE, Mode.UFFD_SINGLE, Mode.UFFD_PER_VCPU), 2, backing, false);
      List<CellResult> cells = new DemandPagingBench(c, kvm, s -> {}).runAll();
      assertThat(cells).hasSize(3).allMatch(r -> r instanceof CellResult.Measured);
      for (CellResult r : cells) {
        CellResult.Measured m = (CellResult.Measured) r;
        assertThat(m.problems()).as("%s", m.mode()).isEmpty();
        assertThat(m.workers()).extracting(CellResult.WorkerStat::touched).containsExactly(256L, 256L);
        assertThat(m.workers()).extracting(CellResult.WorkerStat::faults)
            .as("the uffd events name the vCPU threads").containsOnly(m.mode() == Mode.NONE ? 0L : 256L);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(value = Mode.class, names = {"KVM_UF", "KVM_UF_UFFD"})
  void kvmUserfaultModesAreUnsupportedWithoutTheCapability(Mode mode) {
    try (Kvm kvm = openKvmOrSkip()) {
      boolean offered = UapiProfile.detect(kvm).hasUserfault();
      assumeTrue(!offered, "this kernel offers KVM_CAP_USERFAULT");
      BenchConfig c = new BenchConfig(Target.HOST, List.of(1, 2), 1L << 20, List.of(mode), 1, Backing.ANON, true);
      List<CellResult> cells = new DemandPagingBench(c, kvm, s -> {}).runAll();
      assertThat(cells).hasSize(2).allSatisfy(r -> assertThat(r)
          .isEqualTo(new CellResult.Unsupported(mode, r.vcpus(), "unsupported: KVM_CAP_USERFAULT not offered by this kernel")));
    }
  }
}
