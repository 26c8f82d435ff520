package kvmuf.conform;

import static org.assertj.core.api.Assertions.assertThat;

import kvmuf.model.Config;
import org.junit.jupiter.api.Test;

/** Which shipped configs the kernel trace target can replay, and why not the others (never a silent pass). */
class KernelTargetConfigTest {
  @Test
  void theConformConfigsAreReplayable() {
    assertThat(KernelTarget.unsupportedConfig(Config.load("conform-upstream"))).isNull();
    assertThat(KernelTarget.unsupportedConfig(Config.load("conform-userfault"))).isNull();
  }

  @Test
  void theGuestMemfdConfigsAreReplayable() {
    // UserfaultUse = start (the slot is created armed) and invalidations without userfaultfd (every vCPU is
    // quiescent between steps): whether the kernel offers USERFAULT and guest_memfd MMAP is asked when the VM is built.
    for (String c : new String[] {"small-gmem", "gmem-fetch", "frames-gmem", "gmem-kvm-access"}) {
      assertThat(KernelTarget.unsupportedConfig(Config.load(c))).as(c).isNull();
    }
    assertThat(KernelTarget.unsupportedConfig(Config.load("small-dirty"))).as("UserfaultUse = start on anon").isNull();
  }

  @Test
  void configsTheTargetCannotSetUpOrObserveSayWhy() {
    assertThat(KernelTarget.unsupportedConfig(Config.load("small"))).as("invalidations with userfaultfd re-run inside KVM_RUN").isNull();
    assertThat(KernelTarget.unsupportedConfig(Config.load("small-apf"))).contains("AsyncPf = kernel");
    // DELETE and MOVE run on real kernels (KernelVm: the VMM thread's ioctl, MMIO exits after a DELETE)
    assertThat(KernelTarget.unsupportedConfig(Config.load("small-delete"))).as("SlotChanges = delete").isNull();
    assertThat(KernelTarget.unsupportedConfig(Config.load("small-move"))).as("SlotChanges = move").isNull();
    // not on the kernel yet, each with its reason
    assertThat(KernelTarget.unsupportedConfig(Config.load("remote-uffd"))).contains("remote accessor");
    assertThat(KernelTarget.unsupportedConfig(Config.load("remote-unregistered"))).contains("remote accessor");
    assertThat(KernelTarget.unsupportedConfig(Config.load("small-gmem-private"))).contains("KVM_X86_SW_PROTECTED_VM");
    // guest writes run on real kernels (KernelVm: the guest agent's store); an arm64 config does not on x86
    assertThat(KernelTarget.unsupportedConfig(Config.load("writes-dirty"))).as("Writes = TRUE").isNull();
    assertThat(KernelTarget.unsupportedConfig(Config.load("conform-writes"))).as("Writes = TRUE").isNull();
    if (ModelConfigs.hostArch() == Config.Arch.X86) {
      assertThat(KernelTarget.unsupportedConfig(Config.load("writes-arm64"))).contains("is for ARM64");
    }
  }

  @Test
  void aKernelsExitFlagsAreNamedAsTheModelNamesThem() {
    assertThat(AgentObservation.exitFlagNames(fault(kvmuf.kvm.UapiProfile.KVM_MEMORY_EXIT_FLAG_USERFAULT))).containsExactly("USERFAULT");
    assertThat(AgentObservation.exitFlagNames(fault(kvmuf.kvm.UapiProfile.KVM_MEMORY_EXIT_FLAG_USERFAULT
        | kvmuf.kvm.UapiProfile.KVM_MEMORY_EXIT_FLAG_PRIVATE))).containsExactly("USERFAULT", "PRIVATE");
    assertThat(AgentObservation.exitFlagNames(fault(kvmuf.kvm.UapiProfile.KVM_MEMORY_EXIT_FLAG_PRIVATE))).containsExactly("PRIVATE");
    assertThat(AgentObservation.exitFlagNames(fault(0))).isEmpty();
  }

  private static kvmuf.kvm.Exit.MemoryFault fault(long flags) {
    return new kvmuf.kvm.Exit.MemoryFault(flags, 0, 4096);
  }
}
