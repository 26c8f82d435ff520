package kvmuf.conform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import kvmuf.kvm.Kvm;
import kvmuf.kvm.UnsupportedFeatureException;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;
import kvmuf.model.ValueClass;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The kernel target's steps outside the named rules: explicit unsupported answers, and guest_memfd backing. */
@Tag("kvm")
@Timeout(60)
class ConformKernelTargetTest {
  static KernelTarget openOrSkip(TargetSetup setup) {
    String noKvm = Kvm.unavailableReason();
    if (noKvm != null) System.err.println("[skipped] " + noKvm);
    assumeTrue(noKvm == null, noKvm);
    try {
      return KernelTarget.open(setup);
    } catch (UnsupportedFeatureException e) {
      System.err.println("[skipped] " + e.getMessage());
      assumeTrue(false, e.getMessage());
      throw e;
    }
  }

  @Test
  void stepsTheKernelCannotRunAnswerUnsupportedWithTheReason() {
    try (KernelTarget t = openOrSkip(TargetSetup.of(SlotKind.ANON, UffdMode.NONE))) {
      assertThat(t.step(new Step.KvmAccess(0, 0))).isInstanceOf(Observation.Unsupported.class);
      assertThat(((Observation.Unsupported) t.step(new Step.UffdRead(0))).reason()).contains("no userfaultfd");
      if (!t.profile().hasUserfault()) {
        assertThat(((Observation.Unsupported) t.step(new Step.SetBit(0))).reason())
            .startsWith("unsupported: KVM_CAP_USERFAULT not offered by this kernel");
        assertThat(((Observation.Unsupported) t.step(new Step.EnableUserfault())).reason())
            .contains("KVM_CAP_USERFAULT not offered").contains("EINVAL");
      }
      assertThat(t.step(new Step.Access(0, 0))).as("the slot still works").isEqualTo(new Observation.Value(ValueClass.ZERO));
      assertThat(t.step(new Step.ReadMappings())).isInstanceOfAny(Observation.Mappings.class, Observation.Unsupported.class);
      assertThat(t.stepsRun()).isEqualTo(t.profile().hasUserfault() ? 4 : 6);
    }
  }

  @Test
  void guestMemfdBackingInstallsByWriteAndInvalidatesByPunchHole() {
    try (KernelTarget t = openOrSkip(TargetSetup.of(SlotKind.GMEM, UffdMode.NONE))) {
      assertThat(t.installCall()).isEqualTo("write");
      assertThat(t.step(new Step.Access(0, 3))).isEqualTo(new Observation.Value(ValueClass.ZERO));
      assertThat(t.step(new Step.Install(3))).isEqualTo(Observation.Ioctl.of("write", "ok"));
      assertThat(t.step(new Step.Access(0, 3))).isEqualTo(new Observation.Value(ValueClass.FETCHED));
      assertThat(t.step(new Step.Invalidate(3))).isEqualTo(Observation.Ioctl.of("fallocate(PUNCH_HOLE)", "ok"));
      assertThat(t.step(new Step.Access(0, 3))).as("the hole reads zero").isEqualTo(new Observation.Value(ValueClass.ZERO));
    }
  }

  /**
   * UserfaultUse = start on guest_memfd: the slot is created with KVM_MEM_USERFAULT and every bit set, so the
   * first access exits; the VMM writes the page through the guest_memfd mapping and clears the bit; a
   * flags-only DisableUserfault keeps the slot bound. Without KVM_CAP_USERFAULT the setup is unsupported, with
   * the reason (this machine's 6.18; the reference kernel runs the rest).
   */
  @Test
  void guestMemfdWithUserfaultFromTheStart() {
    String noKvm = Kvm.unavailableReason();
    assumeTrue(noKvm == null, noKvm);
    TargetSetup setup = TargetSetup.of(SlotKind.GMEM, UffdMode.NONE).withUserfaultAtStart(true);
    KernelTarget t;
    try {
      t = KernelTarget.open(setup);
    } catch (UnsupportedFeatureException e) {
      // the only acceptable reasons: no guest_memfd MMAP/INIT_SHARED, or no KVM Userfault
      assertThat(e.getMessage()).startsWith("unsupported: ").containsAnyOf("KVM_CAP_USERFAULT not offered", "GUEST_MEMFD");
      if (e.getMessage().contains("KVM_CAP_USERFAULT")) {
        assertThat(KernelTarget.open(TargetSetup.of(SlotKind.GMEM, UffdMode.NONE))).as("guest_memfd itself works here")
            .satisfies(KernelTarget::close);
      }
      return;
    }
    try (t) {
      assertThat(t.step(new Step.Access(0, 3))).isInstanceOfSatisfying(Observation.MemoryFault.class, f -> {
        assertThat(f.gpa()).isEqualTo(KernelTarget.gpa(3));
        assertThat(f.flags() & kvmuf.kvm.UapiProfile.KVM_MEMORY_EXIT_FLAG_USERFAULT).isNotZero();
      });
      assertThat(t.step(new Step.Install(3))).isEqualTo(Observation.Ioctl.of("write", "ok"));
      assertThat(t.step(new Step.ClearBit(3))).isEqualTo(Observation.Ioctl.of("bitmap store-release", "ok"));
      assertThat(t.step(new Step.Access(0, 3))).isEqualTo(new Observation.Value(ValueClass.FETCHED));
      assertThat(t.step(new Step.Access(0, 4))).as("every bit was set").isInstanceOf(Observation.MemoryFault.class);
      assertThat(t.step(new Step.DisableUserfault())).isEqualTo(Observation.Ioctl.of("KVM_SET_USER_MEMORY_REGION2", "ok"));
      assertThat(t.step(new Step.Access(0, 4))).as("USERFAULT off: the INIT_SHARED zero page")
          .isEqualTo(new Observation.Value(ValueClass.ZERO));
      assertThat(t.step(new Step.Access(0, 3))).isEqualTo(new Observation.Value(ValueClass.FETCHED));
    }
  }
}
