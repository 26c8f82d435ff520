package kvmuf.kvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import kvmuf.sys.Errno;
import org.junit.jupiter.api.Test;

/**
 * KVM Userfault detected by behaviour, against kernel doubles: what a kernel does with KVM_MEM_USERFAULT
 * decides the profile, whatever number it answers; the numbers are kept as evidence.
 */
class UserfaultEvidenceTest {
  /** A kernel that answers {@code caps} and treats the flag as {@code flag} / a bad bitmap as {@code bad} (errno or 0). */
  record Double(Map<Integer, Integer> caps, int flag, int bad, List<String> calls) implements UserfaultEvidence.Subject {
    Double(Map<Integer, Integer> caps, int flag, int bad) {
      this(caps, flag, bad, new ArrayList<>());
    }

    @Override
    public int checkExtension(int cap) {
      calls.add("cap " + cap);
      return caps.getOrDefault(cap, 0);
    }

    @Override
    public int createUserfaultSlot(boolean validBitmap) {
      calls.add(validBitmap ? "slot valid" : "slot bad");
      return validBitmap ? flag : bad;
    }
  }

  static final int EINVAL = Errno.EINVAL.number();

  @Test
  void aKernelAnsweringAnUnknownNumberIsStillDetected() {
    // A renumbered copy of our series: 300 is no number the kit knows, and no known number answers.
    var k = new Double(Map.of(300, 1, 236, 1), 0, EINVAL);
    UserfaultEvidence e = UserfaultEvidence.detect(k, OptionalInt.empty());
    assertThat(e.flagAccepted()).isTrue();
    assertThat(e.badBitmapRejectedAtIoctl()).hasValue(true);
    assertThat(e.profile()).isEqualTo(UapiProfile.UF_V3);
    // 236 (PRE_FAULT_MEMORY upstream) answered, so it is reported, as the least likely number.
    assertThat(e.capability()).hasValue(236);
    assertThat(e.capabilityAnswers()).containsEntry(236, 1).doesNotContainKey(300);
    // Named with --userfault-cap, the number is asked and taken; the profile still comes from behaviour.
    UserfaultEvidence named = UserfaultEvidence.detect(k, OptionalInt.of(300));
    assertThat(named.capability()).hasValue(300);
    assertThat(named.capabilityAnswers()).containsEntry(300, 1);
    assertThat(named.capabilitySource()).contains("--userfault-cap").contains("answered 1");
    assertThat(named.profile()).isEqualTo(UapiProfile.UF_V3);
  }

  @Test
  void theDeployedNumbersAndOursAreEvidenceOnly() {
    // Firecracker's 6.18 copy: v2 behaviour under 245 (upstream KVM_CAP_ARM_SEA_TO_USER).
    UserfaultEvidence fc = UserfaultEvidence.detect(new Double(Map.of(236, 1, 245, 1), 0, EINVAL), OptionalInt.empty());
    assertThat(fc.profile()).isEqualTo(UapiProfile.UF_V2);
    assertThat(fc.capability()).hasValue(245);
    // Our 7.3 reference kernel: 252.
    UserfaultEvidence ours = UserfaultEvidence.detect(new Double(Map.of(236, 1, 252, 1), 0, EINVAL), OptionalInt.empty());
    assertThat(ours.profile()).isEqualTo(UapiProfile.UF_V3);
    assertThat(ours.capability()).hasValue(252);
    assertThat(ours.describe())
        .contains("KVM_MEM_USERFAULT accepted on a scratch VM")
        .contains("a bad bitmap pointer rejected at the ioctl (EINVAL)")
        .contains("236=1, 252=1")
        .contains("taken as KVM_CAP_USERFAULT: 252");
  }

  @Test
  void v1AcceptsABadPointerAtTheIoctl() {
    UserfaultEvidence e = UserfaultEvidence.detect(new Double(Map.of(239, 1), 0, 0), OptionalInt.empty());
    assertThat(e.profile()).isEqualTo(UapiProfile.UF_V1);
    assertThat(e.badBitmapRejectedAtIoctl()).hasValue(false);
    assertThat(e.describe()).contains("accepted at the ioctl (checked only at fault time)");
  }

  @Test
  void aNumberAnsweringOnAKernelThatRejectsTheFlagProvesNothing() {
    // Upstream 7.3 answers 243 (KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED) on arm64, and 236 everywhere.
    var k = new Double(Map.of(236, 1, 243, 1), EINVAL, 0);
    UserfaultEvidence e = UserfaultEvidence.detect(k, OptionalInt.empty());
    assertThat(e.profile()).isEqualTo(UapiProfile.UPSTREAM);
    assertThat(e.flagAccepted()).isFalse();
    assertThat(e.capability()).isEmpty();
    assertThat(e.badBitmapRejectedAtIoctl()).isEmpty();
    assertThat(k.calls()).containsOnlyOnce("slot valid").doesNotContain("slot bad");
    assertThat(e.describe()).startsWith("KVM_MEM_USERFAULT rejected (EINVAL) on a scratch VM").contains("236=1, 243=1");
  }

  @Test
  void everyKnownNumberIsAsked() {
    var k = new Double(Map.of(), EINVAL, 0);
    UserfaultEvidence.detect(k, OptionalInt.empty());
    assertThat(k.calls()).containsAll(UserfaultEvidence.KNOWN_NUMBERS.stream().map(n -> "cap " + n).toList());
    assertThat(UserfaultEvidence.KNOWN_NUMBERS).containsExactly(236, 239, 240, 241, 243, 245, 252);
  }

  @Test
  void thisMachinesKernelIsProbedByBehaviour() {
    try (Kvm kvm = KvmTestSupport.openKvmOrSkip()) {
      KvmTestSupport.assumeCap(kvm, KvmCap.USER_MEMORY2);
      UserfaultEvidence e = UserfaultEvidence.probe(kvm, OptionalInt.empty());
      assertThat(e.profile().hasUserfault()).isEqualTo(e.flagAccepted());
      assertThat(e.capabilityAnswers()).containsOnlyKeys(UserfaultEvidence.KNOWN_NUMBERS);
      if (!e.flagAccepted()) assertThat(e.flagResult()).isEqualTo("rejected (EINVAL)");
    }
  }
}
