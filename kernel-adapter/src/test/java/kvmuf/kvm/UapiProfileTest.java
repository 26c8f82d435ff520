package kvmuf.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.Test;

/** Profile detection from capability answers, without a kernel. */
class UapiProfileTest {
  static IntUnaryOperator answers(Map<Integer, Integer> m) {
    return cap -> m.getOrDefault(cap, 0);
  }

  @Test
  void x86CapabilityNumbersPickTheRevision() {
    assertThat(UapiProfile.detect(answers(Map.of(243, 1)), "amd64")).isEqualTo(UapiProfile.UF_V3);
    assertThat(UapiProfile.detect(answers(Map.of(239, 1)), "x86_64")).isEqualTo(UapiProfile.UF_V2);
    assertThat(UapiProfile.detect(answers(Map.of(231, 1)), "amd64")).isEqualTo(UapiProfile.UPSTREAM);
  }

  @Test
  void onArm64TheNumbersBelongToUpstreamCapabilities() {
    assertThat(UapiProfile.detect(answers(Map.of(243, 1, 239, 1)), "aarch64")).isEqualTo(UapiProfile.UPSTREAM);
  }

  @Test
  void profilesByName() {
    assertThat(UapiProfile.byId("uf-v1").userfaultCap()).hasValue(239);
    assertThat(UapiProfile.byId("UF-V3").userfaultCap()).hasValue(243);
    assertThat(UapiProfile.byId("upstream").hasUserfault()).isFalse();
    assertThat(UapiProfile.UF_V1.validatesBitmapPointer()).isFalse();
    assertThat(UapiProfile.UF_V2.validatesBitmapPointer()).isTrue();
    assertThatThrownBy(() -> UapiProfile.byId("uf-v9")).hasMessageContaining("uf-v3");
  }

  @Test
  void uapiConstants() {
    assertThat(UapiProfile.KVM_MEM_USERFAULT).isEqualTo(8);
    assertThat(UapiProfile.KVM_MEMORY_EXIT_FLAG_USERFAULT).isEqualTo(16);
    assertThat(UapiProfile.KVM_MEMORY_EXIT_FLAG_PRIVATE).isEqualTo(8);
    assertThat(Exit.KVM_EXIT_MEMORY_FAULT).isEqualTo(39);
    assertThat(new Exit.MemoryFault(16 | 8, 0x5000, 4096).isUserfault()).isTrue();
    assertThat(new Exit.MemoryFault(8, 0x5000, 4096).isUserfault()).isFalse();
    assertThat(new UnsupportedFeatureException("x").getMessage()).isEqualTo("unsupported: x");
  }

  @Test
  void memoryRegion2KnowsWhenItUsesUserfault() {
    MemoryRegion2 r = MemoryRegion2.of(0, 0, 0x1000, 0x1000, 0x7000_0000L);
    assertThat(r.usesUserfault()).isFalse();
    assertThat(r.withFlags(UapiProfile.KVM_MEM_USERFAULT).usesUserfault()).isTrue();
    assertThat(r.withUserfaultBitmap(0x1234).usesUserfault()).isTrue();
    assertThat(r.withGuestMemfd(7, 0).flags()).isEqualTo(UapiProfile.KVM_MEM_GUEST_MEMFD);
  }
}
