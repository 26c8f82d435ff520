package kvmuf.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Profiles by name and the UAPI constants, without a kernel (detection: UserfaultEvidenceTest). */
class UapiProfileTest {
  @Test
  void profilesByName() {
    assertThat(UapiProfile.byId("uf-v1").hasUserfault()).isTrue();
    assertThat(UapiProfile.byId("UF-V3")).isEqualTo(UapiProfile.UF_V3);
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
