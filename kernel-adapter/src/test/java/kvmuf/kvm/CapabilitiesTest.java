package kvmuf.kvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The probe on this machine: runs everywhere, with or without /dev/kvm. */
class CapabilitiesTest {
  @Test
  void probeDescribesThisMachine() throws Exception {
    Capabilities c = Capabilities.probe();
    assertThat(c.kernel().sysname()).isEqualTo("Linux");
    assertThat(c.kernel().release()).isEqualTo(Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip());
    assertThat(c.thpMode()).isIn("always", "madvise", "never", "unavailable");
    if (c.userfaultfd().available()) {
      assertThat(c.userfaultfd().features()).isNotZero();
      assertThat(c.userfaultfd().featureNames()).isNotEmpty();
    } else {
      assertThat(c.userfaultfd().reason()).isNotBlank();
    }
    String kvmReason = Kvm.unavailableReason();
    assertThat(c.kvm().present()).isEqualTo(kvmReason == null);
    if (c.kvm().present()) {
      assertThat(c.kvm().apiVersion()).isEqualTo(12);
      assertThat(c.kvm().capabilities()).anySatisfy(cap -> {
        assertThat(cap.name()).isEqualTo("KVM_CAP_USER_MEMORY");
        assertThat(cap.value()).isPositive();
      });
      assertThat(c.kvm().userfaultCandidates()).containsOnlyKeys(UserfaultEvidence.KNOWN_NUMBERS);
      assertThat(c.kvm().profile()).isEqualTo(c.kvm().userfault().profile());
      assertThat(c.kvm().profile().hasUserfault()).isEqualTo(c.kvm().userfault().flagAccepted());
    } else {
      assertThat(c.kvm().reason()).startsWith("unsupported: ").isEqualTo(kvmReason);
    }
  }

  @Test
  void userfaultfdWorksOnThisMachine() {
    // The platform notes say userfaultfd works on the build machines; if that ever changes, this says so.
    assertThat(Capabilities.probe().userfaultfd().available()).isTrue();
  }
}
