package kvmuf.conform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.TreeMap;
import kvmuf.kvm.UapiProfile;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.Config.Arch;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;
import kvmuf.model.Config.UserfaultUse;
import kvmuf.model.Spte;
import kvmuf.model.ValueClass;
import org.junit.jupiter.api.Test;

/**
 * What the model says for the rules' scripts, without a kernel: these are the expectations the kvm-tagged
 * rule tests compare the kernel with, including the KVM Userfault ones no kernel here can run.
 */
class ConformModelOracleTest {
  static final String COPY = "UFFDIO_COPY";

  static ModelOracle oracle(int vcpus, SlotKind kind, UffdMode uffd, UserfaultUse use, boolean dirty, boolean kvm) {
    return new ModelOracle(ModelConfigs.of("test", vcpus, kind, uffd, use, dirty, kvm));
  }

  static TreeMap<Integer, Observation> woken(int v, Observation o) {
    TreeMap<Integer, Observation> m = new TreeMap<>();
    m.put(v, o);
    return m;
  }

  @Test
  void aMissingPageBlocksUntilCopyWhichWakesTheReaderWithFetchedBytes() {
    ModelOracle m = oracle(1, SlotKind.ANON, UffdMode.MISSING, UserfaultUse.NONE, false, false);
    assertThat(m.step(new Action.Access(0, 0), COPY)).isEqualTo(new Observation.Blocked(0));
    assertThat(m.step(new Action.UffdRead(0), COPY)).isEqualTo(new Observation.UffdMessage(0, false));
    assertThat(m.step(new Action.UffdInstall(0), COPY))
        .isEqualTo(new Observation.Ioctl(COPY, "ok", woken(0, new Observation.Value(ValueClass.FETCHED))));
    assertThat(m.step(new Action.Access(0, 0), COPY)).isEqualTo(new Observation.Value(ValueClass.FETCHED));
    assertThat(m.step(new Action.Invalidate(0), COPY)).isEqualTo(Observation.Ioctl.of("madvise(MADV_DONTNEED)", "ok"));
    assertThat(m.step(new Action.Access(0, 0), COPY)).as("faults again after the invalidation").isEqualTo(new Observation.Blocked(0));
  }

  @Test
  void eexistWakesNobodyAndUffdWakeReleasesTheSleeper() {
    ModelOracle m = oracle(2, SlotKind.ANON, UffdMode.MISSING, UserfaultUse.LATE, false, false);
    assertThat(m.step(new Action.Access(1, 0), COPY)).isEqualTo(new Observation.Blocked(0));
    m.step(new Action.SetBit(0), COPY);
    m.step(new Action.EnableUserfault(), COPY);
    assertThat(m.step(new Action.Access(0, 0), COPY))
        .isEqualTo(new Observation.MemoryFault(KernelTarget.gpa(0), 4096, UapiProfile.KVM_MEMORY_EXIT_FLAG_USERFAULT));
    assertThat(m.step(new Action.Install(0), COPY)).isEqualTo(Observation.Ioctl.of(COPY + " (DONTWAKE)", "ok"));
    m.step(new Action.UffdRead(0), COPY);
    assertThat(m.step(new Action.UffdInstall(0), COPY)).isEqualTo(Observation.Ioctl.of(COPY, "EEXIST"));
    assertThat(m.step(new Action.UffdWake(0), COPY))
        .isEqualTo(new Observation.Ioctl("UFFDIO_WAKE", "ok", woken(1, new Observation.Value(ValueClass.FETCHED))));
  }

  @Test
  void userfaultExitsThenInstallClearResumeReadsFetched() {
    ModelOracle m = oracle(1, SlotKind.ANON, UffdMode.NONE, UserfaultUse.LATE, false, false);
    m.step(new Action.SetBit(0), "write");
    m.step(new Action.EnableUserfault(), "write");
    assertThat(m.step(new Action.Access(0, 0), "write"))
        .isEqualTo(new Observation.MemoryFault(KernelTarget.gpa(0), 4096, UapiProfile.KVM_MEMORY_EXIT_FLAG_USERFAULT));
    assertThat(m.step(new Action.Install(0), "write")).isEqualTo(Observation.Ioctl.of("write", "ok"));
    assertThat(m.step(new Action.ClearBit(0), "write")).isEqualTo(Observation.Ioctl.of("bitmap store-release", "ok"));
    assertThat(m.step(new Action.ResumeVcpu(0), "write")).isEqualTo(new Observation.Done());
    assertThat(m.step(new Action.Access(0, 0), "write")).as("the retried read").isEqualTo(new Observation.Value(ValueClass.FETCHED));
  }

  @Test
  void aBitSetAfterTheMappingCausesNoExit() {
    ModelOracle m = oracle(1, SlotKind.ANON, UffdMode.NONE, UserfaultUse.LATE, false, false);
    m.step(new Action.SetBit(1), "write");
    m.step(new Action.EnableUserfault(), "write");
    assertThat(m.step(new Action.Access(0, 0), "write")).isEqualTo(new Observation.Value(ValueClass.ZERO));
    assertThat(m.spte(0)).as("4K only while USERFAULT").isEqualTo(Spte.SMALL);
    m.step(new Action.SetBit(0), "write");
    assertThat(m.step(new Action.Access(0, 0), "write")).isEqualTo(new Observation.Value(ValueClass.ZERO));
  }

  @Test
  void dirtyLoggingSplitsTheHugeFrameAndX86RecoversItOnDisable() {
    ModelOracle m = oracle(1, SlotKind.ANON, UffdMode.NONE, UserfaultUse.NONE, true, true);
    m.step(new Action.KvmAccess(0, 0), "write");
    m.step(new Action.KvmAccess(0, 1), "write");
    assertThat(m.step(new Action.Access(0, 0), "write")).isEqualTo(new Observation.Value(ValueClass.ZERO));
    assertThat(m.hugeFrames()).isEqualTo(1);
    m.step(new Action.EnableDirtyLog(), "write");
    assertThat(m.hugeFrames()).isZero();
    m.step(new Action.DisableDirtyLog(), "write");
    m.step(new Action.Access(0, 0), "write");
    assertThat(m.hugeFrames()).isEqualTo(ModelConfigs.hostArch() == Arch.X86 ? 1 : 0);
  }

  @Test
  void arm64KeepsSmallMappingsAfterDirtyLogging() {
    Config arm = ModelConfigs.withArch(ModelConfigs.of("t", 1, SlotKind.ANON, UffdMode.NONE, UserfaultUse.NONE, true, true), Arch.ARM64);
    ModelOracle m = new ModelOracle(arm);
    m.step(new Action.KvmAccess(0, 0), "write");
    m.step(new Action.KvmAccess(0, 1), "write");
    m.step(new Action.Access(0, 0), "write");
    m.step(new Action.EnableDirtyLog(), "write");
    m.step(new Action.DisableDirtyLog(), "write");
    m.step(new Action.Access(0, 0), "write");
    assertThat(m.hugeFrames()).isZero();
  }

  @Test
  void anActionTheModelDoesNotAllowIsRefusedByName() {
    ModelOracle m = oracle(1, SlotKind.ANON, UffdMode.MISSING, UserfaultUse.NONE, false, false);
    assertThatThrownBy(() -> m.step(new Action.UffdWake(0), COPY))
        .isInstanceOf(ModelOracle.ModelRefusal.class)
        .hasMessageContaining("UffdWake");
  }

  @Test
  void userfaultZapsTheHugeMappingAllowsOnly4kAndDisablingRecovers() {
    // userfault-huge-mappings' script: the frame mapped huge, one gfn marked, enable, touch, resolve, disable.
    ModelOracle m = oracle(1, SlotKind.ANON, UffdMode.NONE, UserfaultUse.LATE, false, true);
    m.step(new Action.KvmAccess(0, 0), "write");
    m.step(new Action.KvmAccess(0, 1), "write");
    m.step(new Action.Access(0, 0), "write");
    m.step(new Action.Access(0, 1), "write");
    assertThat(m.hugeFrames()).as("both gfns present, nothing marked: one huge frame").isEqualTo(1);
    m.step(new Action.SetBit(1), "write");
    assertThat(m.step(new Action.EnableUserfault(), "write")).isEqualTo(Observation.Ioctl.of("KVM_SET_USER_MEMORY_REGION2", "ok"));
    assertThat(m.hugeFrames()).as("zapped on enable").isZero();
    assertThat(m.step(new Action.Access(0, 0), "write")).isEqualTo(new Observation.Value(ValueClass.ZERO));
    assertThat(m.hugeFrames()).as("4K only while USERFAULT is on").isZero();
    assertThat(m.step(new Action.Access(0, 1), "write"))
        .isEqualTo(new Observation.MemoryFault(KernelTarget.gpa(1), 4096, UapiProfile.KVM_MEMORY_EXIT_FLAG_USERFAULT));
    m.step(new Action.Install(0), "write");
    m.step(new Action.ClearBit(0), "write");
    assertThat(m.step(new Action.ResumeVcpu(0), "write")).isEqualTo(new Observation.Done());
    assertThat(m.step(new Action.Access(0, 1), "write")).as("the retried read").isEqualTo(new Observation.Value(ValueClass.FETCHED));
    assertThat(m.step(new Action.DisableUserfault(), "write")).isEqualTo(Observation.Ioctl.of("KVM_SET_USER_MEMORY_REGION2", "ok"));
    m.step(new Action.Access(0, 0), "write");
    assertThat(m.hugeFrames()).as("x86 recovers once USERFAULT is off").isEqualTo(1);
  }

  @Test
  void disablingUserfaultWhileDirtyLoggingRecoversNothing() {
    ModelOracle m = oracle(1, SlotKind.ANON, UffdMode.NONE, UserfaultUse.LATE, true, false);
    assertThat(m.step(new Action.EnableDirtyLog(), "write")).isEqualTo(Observation.Ioctl.of("KVM_SET_USER_MEMORY_REGION2", "ok"));
    m.step(new Action.SetBit(0), "write");
    m.step(new Action.EnableUserfault(), "write");
    assertThat(m.step(new Action.Access(0, 0), "write"))
        .isEqualTo(new Observation.MemoryFault(KernelTarget.gpa(0), 4096, UapiProfile.KVM_MEMORY_EXIT_FLAG_USERFAULT));
    m.step(new Action.Install(0), "write");
    m.step(new Action.ClearBit(0), "write");
    assertThat(m.step(new Action.ResumeVcpu(0), "write")).isEqualTo(new Observation.Done());
    assertThat(m.step(new Action.Access(0, 0), "write")).as("the retried read").isEqualTo(new Observation.Value(ValueClass.FETCHED));
    assertThat(m.step(new Action.DisableUserfault(), "write")).isEqualTo(Observation.Ioctl.of("KVM_SET_USER_MEMORY_REGION2", "ok"));
    assertThat(m.hugeFrames()).isZero();
  }
}
