package kvmuf.conform;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.Config.Arch;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;
import kvmuf.model.Config.UserfaultUse;
import kvmuf.model.Observation;
import kvmuf.model.Spte;
import kvmuf.model.StateBits;
import kvmuf.model.StepObservation;
import kvmuf.model.ValueClass;
import kvmuf.trace.AllowedObservations;
import kvmuf.trace.ModelStates;
import org.junit.jupiter.api.Test;

/**
 * What the model says for the rules' scripts, without a kernel ({@link ModelStates}, the oracle of rules and
 * traces alike): these are the expectations the kvm-tagged rule tests compare the kernel with, including the
 * KVM Userfault ones no kernel here can run.
 */
class ConformModelExpectationsTest {
  static final Observation EXIT_G0 = new Observation.MemoryFaultExit(0, 4096, List.of("USERFAULT"));
  static final Observation IOCTL_OK = new Observation.Ioctl("ok");
  static final Observation DONE = new Observation.Done();

  /** A rule's script on the model alone: each step must have exactly one allowed observation, which is taken. */
  static final class ModelScript {
    final ModelStates model;
    StepObservation last;

    ModelScript(Config c) {
      this.model = new ModelStates(c);
    }

    ModelScript(int vcpus, SlotKind kind, UffdMode uffd, UserfaultUse use, boolean dirty, boolean kvm) {
      this(ModelConfigs.of("test", vcpus, kind, uffd, use, dirty, kvm));
    }

    /** The acting thread's observation of {@code a}. */
    Observation step(Action a) {
      return full(a).result();
    }

    /** The whole observation of {@code a}: result, released calls, page counts. */
    StepObservation full(Action a) {
      AllowedObservations allowed = model.allowed(a);
      if (allowed.enabledIn() == 0) throw new IllegalStateException("the model does not allow " + a.show());
      assertThat(allowed.sorted()).as("the model's observations of " + a.show()).hasSize(1);
      last = allowed.sorted().getFirst();
      model.keep(allowed, last);
      return last;
    }

    boolean allows(Action a) {
      return model.allowed(a).enabledIn() > 0;
    }

    /** How many frames the model maps huge now (the last step's pages_2m). */
    int hugeFrames() {
      return last.pages2m();
    }

    Spte spte(int g) {
      return Spte.of(StateBits.spte(model.states().getFirst().view(), g));
    }
  }

  @Test
  void aMissingPageBlocksUntilCopyWhichWakesTheReaderWithFetchedBytes() {
    ModelScript m = new ModelScript(1, SlotKind.ANON, UffdMode.MISSING, UserfaultUse.NONE, false, false);
    assertThat(m.step(new Action.Access(0, 0))).isEqualTo(new Observation.UffdBlocked(0));
    assertThat(m.step(new Action.UffdRead(0))).isEqualTo(new Observation.UffdEvent(0, List.of()));
    StepObservation copy = m.full(new Action.UffdInstall(0));
    assertThat(copy.result()).isEqualTo(IOCTL_OK);
    assertThat(copy.unblocked()).isEqualTo(Map.of("vcpu0", new Observation.Read(ValueClass.FETCHED)));
    assertThat(m.step(new Action.Access(0, 0))).isEqualTo(new Observation.Read(ValueClass.FETCHED));
    assertThat(m.step(new Action.InvalidateBegin(0))).isEqualTo(IOCTL_OK);
    assertThat(m.step(new Action.Access(0, 0))).as("faults again after the invalidation").isEqualTo(new Observation.UffdBlocked(0));
  }

  @Test
  void eexistWakesNobodyAndUffdWakeReleasesTheSleeper() {
    ModelScript m = new ModelScript(2, SlotKind.ANON, UffdMode.MISSING, UserfaultUse.LATE, false, false);
    assertThat(m.step(new Action.Access(1, 0))).isEqualTo(new Observation.UffdBlocked(0));
    m.step(new Action.SetBit(0));
    assertThat(m.step(new Action.EnableUserfault())).as("vCPU 1 sleeps in the fault path: the commit waits for it")
        .isEqualTo(new Observation.SrcuWait());
    assertThat(m.step(new Action.Access(0, 0))).isEqualTo(EXIT_G0);
    StepObservation dontwake = m.full(new Action.Install(0));
    assertThat(dontwake.result()).isEqualTo(IOCTL_OK);
    assertThat(dontwake.unblocked()).as("DONTWAKE wakes nobody").isEmpty();
    m.step(new Action.UffdRead(0));
    StepObservation eexist = m.full(new Action.UffdInstall(0));
    assertThat(eexist.result()).isEqualTo(new Observation.Ioctl("EEXIST"));
    assertThat(eexist.unblocked()).isEmpty();
    // vCPU 1 wakes, its fault installs the page, and the memslot update it held back commits. The commit's zap may
    // land before vCPU 1's re-executed read (x86: the install and the guest's re-entry are two steps), which then
    // faults again on g0, still marked, and exits (found on our reference kernel): the model allows both.
    assertThat(m.model.allowed(new Action.UffdWake(0)).sorted()).extracting(StepObservation::result, StepObservation::unblocked)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(IOCTL_OK, Map.of("vcpu1", new Observation.Read(ValueClass.FETCHED), "vmm", IOCTL_OK)),
            org.assertj.core.groups.Tuple.tuple(IOCTL_OK, Map.of("vcpu1", EXIT_G0, "vmm", IOCTL_OK)));
  }

  @Test
  void userfaultExitsThenInstallClearResumeReadsFetched() {
    ModelScript m = new ModelScript(1, SlotKind.ANON, UffdMode.NONE, UserfaultUse.LATE, false, false);
    m.step(new Action.SetBit(0));
    m.step(new Action.EnableUserfault());
    assertThat(m.step(new Action.Access(0, 0))).isEqualTo(EXIT_G0);
    assertThat(m.step(new Action.Install(0))).as("a plain write: a store, nothing to return").isEqualTo(DONE);
    assertThat(m.step(new Action.ClearBit(0))).isEqualTo(DONE);
    assertThat(m.step(new Action.ResumeVcpu(0))).isEqualTo(DONE);
    assertThat(m.step(new Action.Access(0, 0))).as("the retried read").isEqualTo(new Observation.Read(ValueClass.FETCHED));
  }

  @Test
  void aBitSetAfterTheMappingCausesNoExit() {
    ModelScript m = new ModelScript(1, SlotKind.ANON, UffdMode.NONE, UserfaultUse.LATE, false, false);
    m.step(new Action.SetBit(1));
    m.step(new Action.EnableUserfault());
    assertThat(m.step(new Action.Access(0, 0))).isEqualTo(new Observation.Read(ValueClass.ZERO));
    assertThat(m.spte(0)).as("4K only while USERFAULT").isEqualTo(Spte.SMALL);
    m.step(new Action.SetBit(0));
    assertThat(m.step(new Action.Access(0, 0))).isEqualTo(new Observation.Read(ValueClass.ZERO));
  }

  @Test
  void dirtyLoggingSplitsTheHugeFrameAndX86RecoversItOnDisable() {
    ModelScript m = new ModelScript(1, SlotKind.ANON, UffdMode.NONE, UserfaultUse.NONE, true, true);
    m.step(new Action.KvmAccess(0, 0));
    m.step(new Action.KvmAccess(0, 1));
    assertThat(m.step(new Action.Access(0, 0))).isEqualTo(new Observation.Read(ValueClass.ZERO));
    assertThat(m.hugeFrames()).isEqualTo(1);
    m.step(new Action.EnableDirtyLog());
    assertThat(m.hugeFrames()).isZero();
    m.step(new Action.DisableDirtyLog());
    m.step(new Action.Access(0, 0));
    assertThat(m.hugeFrames()).isEqualTo(ModelConfigs.hostArch() == Arch.X86 ? 1 : 0);
  }

  @Test
  void arm64KeepsSmallMappingsAfterDirtyLogging() {
    Config arm = ModelConfigs.withArch(ModelConfigs.of("t", 1, SlotKind.ANON, UffdMode.NONE, UserfaultUse.NONE, true, true), Arch.ARM64);
    ModelScript m = new ModelScript(arm);
    m.step(new Action.KvmAccess(0, 0));
    m.step(new Action.KvmAccess(0, 1));
    m.step(new Action.Access(0, 0));
    m.step(new Action.EnableDirtyLog());
    m.step(new Action.DisableDirtyLog());
    m.step(new Action.Access(0, 0));
    assertThat(m.hugeFrames()).isZero();
  }

  @Test
  void anActionTheModelDoesNotAllowIsNotEnabled() {
    ModelScript m = new ModelScript(1, SlotKind.ANON, UffdMode.MISSING, UserfaultUse.NONE, false, false);
    assertThat(m.allows(new Action.UffdWake(0))).isFalse();
    assertThat(m.allows(new Action.Access(0, 0))).isTrue();
  }

  @Test
  void userfaultZapsTheHugeMappingAllowsOnly4kAndDisablingRecovers() {
    // userfault-huge-mappings' script: the frame mapped huge, one gfn marked, enable, touch, resolve, disable.
    ModelScript m = new ModelScript(1, SlotKind.ANON, UffdMode.NONE, UserfaultUse.LATE, false, true);
    m.step(new Action.KvmAccess(0, 0));
    m.step(new Action.KvmAccess(0, 1));
    m.step(new Action.Access(0, 0));
    m.step(new Action.Access(0, 1));
    assertThat(m.hugeFrames()).as("both gfns present, nothing marked: one huge frame").isEqualTo(1);
    m.step(new Action.SetBit(1));
    assertThat(m.step(new Action.EnableUserfault())).isEqualTo(IOCTL_OK);
    assertThat(m.hugeFrames()).as("zapped on enable").isZero();
    assertThat(m.step(new Action.Access(0, 0))).isEqualTo(new Observation.Read(ValueClass.ZERO));
    assertThat(m.hugeFrames()).as("4K only while USERFAULT is on").isZero();
    assertThat(m.step(new Action.Access(0, 1))).isEqualTo(new Observation.MemoryFaultExit(4096, 4096, List.of("USERFAULT")));
    m.step(new Action.Install(0));
    m.step(new Action.ClearBit(0));
    assertThat(m.step(new Action.ResumeVcpu(0))).isEqualTo(DONE);
    assertThat(m.step(new Action.Access(0, 1))).as("the retried read").isEqualTo(new Observation.Read(ValueClass.FETCHED));
    assertThat(m.step(new Action.DisableUserfault())).isEqualTo(IOCTL_OK);
    m.step(new Action.Access(0, 0));
    assertThat(m.hugeFrames()).as("x86 recovers once USERFAULT is off").isEqualTo(1);
  }

  @Test
  void disablingUserfaultWhileDirtyLoggingRecoversNothing() {
    ModelScript m = new ModelScript(1, SlotKind.ANON, UffdMode.NONE, UserfaultUse.LATE, true, false);
    assertThat(m.step(new Action.EnableDirtyLog())).isEqualTo(IOCTL_OK);
    m.step(new Action.SetBit(0));
    m.step(new Action.EnableUserfault());
    assertThat(m.step(new Action.Access(0, 0))).isEqualTo(EXIT_G0);
    m.step(new Action.Install(0));
    m.step(new Action.ClearBit(0));
    assertThat(m.step(new Action.ResumeVcpu(0))).isEqualTo(DONE);
    assertThat(m.step(new Action.Access(0, 0))).as("the retried read").isEqualTo(new Observation.Read(ValueClass.FETCHED));
    assertThat(m.step(new Action.DisableUserfault())).isEqualTo(IOCTL_OK);
    assertThat(m.hugeFrames()).isZero();
  }

  @Test
  void disablingUserfaultWhileDirtyLoggingLeavesAHugeCapableFrameSmall() {
    // userfault-disable-while-dirty-log-huge's script: the frame mapped huge, dirty logging on (split), a
    // post-copy round on gfn 1, a fault on gfn 0, then USERFAULT off while dirty logging is still on.
    ModelScript m = new ModelScript(1, SlotKind.ANON, UffdMode.NONE, UserfaultUse.LATE, true, true);
    m.step(new Action.KvmAccess(0, 0));
    m.step(new Action.KvmAccess(0, 1));
    m.step(new Action.Access(0, 0));
    m.step(new Action.Access(0, 1));
    assertThat(m.hugeFrames()).isEqualTo(1);
    assertThat(m.step(new Action.EnableDirtyLog())).isEqualTo(IOCTL_OK);
    m.step(new Action.Access(0, 0));
    assertThat(m.hugeFrames()).as("dirty logging splits").isZero();
    m.step(new Action.SetBit(1));
    assertThat(m.step(new Action.EnableUserfault())).isEqualTo(IOCTL_OK);
    assertThat(m.step(new Action.Access(0, 1))).isEqualTo(new Observation.MemoryFaultExit(4096, 4096, List.of("USERFAULT")));
    m.step(new Action.Install(0));
    m.step(new Action.ClearBit(0));
    assertThat(m.step(new Action.ResumeVcpu(0))).isEqualTo(DONE);
    assertThat(m.step(new Action.Access(0, 1))).isEqualTo(new Observation.Read(ValueClass.FETCHED));
    m.step(new Action.Access(0, 0));
    assertThat(m.step(new Action.DisableUserfault())).isEqualTo(IOCTL_OK);
    assertThat(m.hugeFrames()).as("no recovery while dirty logging is on").isZero();
    assertThat(m.step(new Action.DisableDirtyLog())).isEqualTo(IOCTL_OK);
    assertThat(m.hugeFrames()).as("x86 recovers once both are off").isEqualTo(1);
  }
}
