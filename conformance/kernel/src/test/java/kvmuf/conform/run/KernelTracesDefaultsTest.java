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
    assertThat(KernelTraces.defaultConfigs(UapiProfile.UPSTREAM)).containsExactly("conform-upstream", "conform-kvm-access", "conform-writes");
    boolean gmem;
    try (Kvm kvm = Kvm.open()) {
      gmem = SlotMemory.guestMemfdUnsupported(kvm).isEmpty();
    }
    for (UapiProfile p : new UapiProfile[] {UapiProfile.UF_V2, UapiProfile.UF_V3}) {
      java.util.List<String> d = KernelTraces.defaultConfigs(p);
      assertThat(d).contains("conform-userfault", "conform-userfault-2vcpu", "conform-kvm-access", "small", "default", "frames")
          .as("recorded violations and configs this target cannot set up are left out")
          .doesNotContain("gmem-kvm-access", "apf-userfault", "small-apf", "apf-uffd", "small-arm64");
      if (gmem) assertThat(d).contains("gmem-fetch", "small-gmem", "frames-gmem");
      else assertThat(d).doesNotContain("gmem-fetch", "small-gmem", "frames-gmem");
    }
    Config c = Config.load("gmem-fetch");
    assertThat(c.slotKind()).isEqualTo(Config.SlotKind.GMEM);
    assertThat(c.userfaultUse()).isEqualTo(Config.UserfaultUse.START);
    assertThat(c.backgroundFetch()).isTrue();
  }

  @Test
  void anActionOnlyUnreplayableConfigsHaveIsNamedWithTheirReason() {
    assertThat(KernelTraces.notReplayable("GuestWork")).get().asString().contains("small-apf").contains("AsyncPf = kernel");
    assertThat(KernelTraces.notReplayable("RemoteAccess")).get().asString().contains("remote-uffd").contains("remote accessor");
    assertThat(KernelTraces.notReplayable("Access")).isEmpty();
    assertThat(KernelTraces.notReplayable("DeleteSlot")).as("small-delete is replayable").isEmpty();
  }
}
