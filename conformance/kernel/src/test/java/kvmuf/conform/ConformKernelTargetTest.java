package kvmuf.conform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import kvmuf.kvm.Kvm;
import kvmuf.kvm.UnsupportedFeatureException;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;
import java.util.Optional;
import kvmuf.model.Action;
import kvmuf.model.Observation;
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
    KernelTarget t = new KernelTarget(Optional.empty());
    try {
      t.start(setup);
      return t;
    } catch (UnsupportedFeatureException e) {
      t.close();
      System.err.println("[skipped] " + e.getMessage());
      assumeTrue(false, e.getMessage());
      throw e;
    }
  }

  static Observation shown(KernelTarget t, Action a) {
    return t.step(a).orElseThrow(() -> new AssertionError(a.show() + " unsupported: " + t.unsupported().orElse("?"))).result();
  }

  static String unsupported(KernelTarget t, Action a) {
    assertThat(t.step(a)).as(a.show()).isEmpty();
    return t.unsupported().orElseThrow();
  }

  @Test
  void stepsTheKernelCannotRunAnswerUnsupportedWithTheReason() {
    try (KernelTarget t = openOrSkip(TargetSetup.of(SlotKind.ANON, UffdMode.NONE))) {
      assertThat(shown(t, new Action.KvmAccess(0, 0))).as("KVM's own read (emulated string I/O) of an untouched page")
          .isEqualTo(new Observation.KvmRead(ValueClass.ZERO));
      assertThat(unsupported(t, new Action.UffdRead(0))).contains("no userfaultfd");
      if (!t.profile().hasUserfault()) {
        assertThat(unsupported(t, new Action.SetBit(0))).startsWith("KVM_CAP_USERFAULT not offered by this kernel");
        assertThat(unsupported(t, new Action.EnableUserfault())).contains("KVM_CAP_USERFAULT not offered").contains("EINVAL");
      }
      assertThat(shown(t, new Action.Access(0, 0))).as("the slot still works").isEqualTo(new Observation.Read(ValueClass.ZERO));
      assertThat(t.call(new ApiCall.ReadMappings()).isPresent() || t.unsupported().isPresent()).isTrue();
      assertThat(t.vm().stepsRun()).isEqualTo(t.profile().hasUserfault() ? 4 : 6);
    }
  }

  @Test
  void guestMemfdBackingInstallsByWriteAndInvalidatesByPunchHole() {
    try (KernelTarget t = openOrSkip(TargetSetup.of(SlotKind.GMEM, UffdMode.NONE))) {
      assertThat(t.vm().installCall()).isEqualTo("write");
      assertThat(t.vm().invalidateCall()).isEqualTo("fallocate(PUNCH_HOLE)");
      assertThat(shown(t, new Action.Access(0, 3))).isEqualTo(new Observation.Read(ValueClass.ZERO));
      t.vm().assumeExit(0, 3); // Install acts on the gfn of its vCPU's exit: here, g3
      assertThat(shown(t, new Action.Install(0))).as("a plain write").isEqualTo(new Observation.Done());
      assertThat(shown(t, new Action.Access(0, 3))).isEqualTo(new Observation.Read(ValueClass.FETCHED));
      assertThat(shown(t, new Action.InvalidateBegin(3))).isEqualTo(new Observation.Ioctl("ok"));
      assertThat(shown(t, new Action.Access(0, 3))).as("the hole reads zero").isEqualTo(new Observation.Read(ValueClass.ZERO));
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
    KernelTarget t = new KernelTarget(Optional.empty());
    try {
      t.start(setup);
    } catch (UnsupportedFeatureException e) {
      t.close();
      // the only acceptable reasons: no guest_memfd MMAP/INIT_SHARED, or no KVM Userfault
      assertThat(e.getMessage()).startsWith("unsupported: ").containsAnyOf("KVM_CAP_USERFAULT not offered", "GUEST_MEMFD");
      if (e.getMessage().contains("KVM_CAP_USERFAULT")) {
        try (KernelTarget plain = new KernelTarget(Optional.empty())) {
          plain.start(TargetSetup.of(SlotKind.GMEM, UffdMode.NONE)); // guest_memfd itself works here
        }
      }
      return;
    }
    try (t) {
      assertThat(shown(t, new Action.Access(0, 3))).isInstanceOfSatisfying(Observation.MemoryFaultExit.class, f -> {
        assertThat(f.gpa()).isEqualTo(3 * Observation.PAGE_SIZE);
        assertThat(f.flags()).contains("USERFAULT");
      });
      assertThat(shown(t, new Action.Install(0))).as("a write through the guest_memfd mapping").isEqualTo(new Observation.Done());
      assertThat(shown(t, new Action.ClearBit(0))).isEqualTo(new Observation.Done());
      assertThat(shown(t, new Action.Access(0, 3))).isEqualTo(new Observation.Read(ValueClass.FETCHED));
      assertThat(shown(t, new Action.Access(0, 4))).as("every bit was set").isInstanceOf(Observation.MemoryFaultExit.class);
      assertThat(shown(t, new Action.DisableUserfault())).isEqualTo(new Observation.Ioctl("ok"));
      assertThat(shown(t, new Action.Access(0, 4))).as("USERFAULT off: the INIT_SHARED zero page")
          .isEqualTo(new Observation.Read(ValueClass.ZERO));
      assertThat(shown(t, new Action.Access(0, 3))).isEqualTo(new Observation.Read(ValueClass.FETCHED));
    }
  }
}
