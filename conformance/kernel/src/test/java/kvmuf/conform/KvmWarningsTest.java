package kvmuf.conform;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which kernel WARN records a trace step counts as KVM's: those naming KVM's sources or functions. */
class KvmWarningsTest {
  @Test
  void onlyWarningsFromKvmCount() {
    List<String> warnings = List.of(
        "WARNING: CPU: 0 PID: 93 at arch/x86/kvm/mmu/tdp_mmu.c:1765 recover_huge_pages_range+0x1a/0x1f0",
        "WARNING: arch/x86/kvm/x86.c:10257 at kvm_mmu_userfault_recover_huge_pages+0x2b/0x40, CPU#1: kvmuf/97",
        "WARNING: CPU: 3 PID: 1 at virt/kvm/kvm_main.c:1830 kvm_commit_memory_region+0x10/0x20",
        "WARNING: CPU: 2 PID: 410 at mm/page_alloc.c:4700 __alloc_pages+0x1c4/0x1e0",
        "WARNING: CPU: 1 PID: 12 at drivers/gpu/drm/drm_vblank.c:1200 drm_wait_one_vblank+0x1/0x2");
    assertThat(KernelVm.kvmWarnings(warnings)).containsExactlyElementsOf(warnings.subList(0, 3));
  }
}
