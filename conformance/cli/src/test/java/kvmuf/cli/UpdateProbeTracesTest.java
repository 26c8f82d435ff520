package kvmuf.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import kvmuf.conform.run.KernelTraces;
import org.junit.jupiter.api.Test;

/** Conform's default corpus gets one update probe per slot kind and memslot update, the shortest among the configs. */
class UpdateProbeTracesTest {
  @Test
  void upstreamConfigsGetTheDirtyLogProbesOnce() {
    List<String> names = UpdateProbeTraces.onConfigs(List.of("conform-upstream", "conform-kvm-access", "conform-writes")).stream()
        .map(KernelTraces.Named::name).toList();
    assertThat(names).containsExactly("after-EnableDirtyLog-conform-upstream", "after-DisableDirtyLog-conform-upstream");
  }

  @Test
  void aUserfaultKernelsConfigsGetGuestMemfdsFlagsOnlyToggleAndTheSlotChanges() {
    List<KernelTraces.Named> probes = UpdateProbeTraces.onConfigs(List.of("small", "small-gmem", "small-dirty", "gmem-fetch",
        "conform-userfault", "small-move"));
    List<String> names = probes.stream().map(KernelTraces.Named::name).toList();
    // gmem-fetch's 7 steps beat small-gmem's 9: the background fetch clears the bits without a vCPU spending its access
    assertThat(names).contains("after-DisableUserfault-gmem-fetch", "after-EnableUserfault-conform-userfault",
        "after-EnableDirtyLog-conform-userfault", "after-MoveSlot-small-move").doesNotHaveDuplicates();
    assertThat(names).noneMatch(n -> n.endsWith("-small-gmem"));
    assertThat(probes).allSatisfy(p -> assertThat(p.trace().steps()).hasSizeLessThanOrEqualTo(9));
  }
}
