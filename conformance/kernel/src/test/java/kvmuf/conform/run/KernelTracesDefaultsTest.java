package kvmuf.conform.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import kvmuf.kvm.Kvm;
import kvmuf.kvm.SlotMemory;
import kvmuf.kvm.UapiProfile;
import kvmuf.model.Config;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Which configs conform generates traces of by default: guest_memfd post-copy wherever the kernel can run it. */
@Tag("kvm")
class KernelTracesDefaultsTest {
  @Test
  void guestMemfdTracesJoinTheDefaultsOnAUserfaultKernelWithMmapAndInitShared() {
    String noKvm = Kvm.unavailableReason();
    assumeTrue(noKvm == null, noKvm);
    assertThat(KernelTraces.defaultConfigs(UapiProfile.UPSTREAM)).containsExactly("conform-upstream", "conform-kvm-access");
    boolean gmem;
    try (Kvm kvm = Kvm.open()) {
      gmem = SlotMemory.guestMemfdUnsupported(kvm).isEmpty();
    }
    for (UapiProfile p : new UapiProfile[] {UapiProfile.UF_V2, UapiProfile.UF_V3}) {
      if (gmem) assertThat(KernelTraces.defaultConfigs(p)).containsExactly("conform-userfault", "gmem-fetch", "conform-kvm-access");
      else assertThat(KernelTraces.defaultConfigs(p)).containsExactly("conform-userfault", "conform-kvm-access");
    }
    Config c = Config.load("gmem-fetch");
    assertThat(c.slotKind()).isEqualTo(Config.SlotKind.GMEM);
    assertThat(c.userfaultUse()).isEqualTo(Config.UserfaultUse.START);
    assertThat(c.backgroundFetch()).isTrue();
  }
}
