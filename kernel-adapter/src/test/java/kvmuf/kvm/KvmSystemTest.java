package kvmuf.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import kvmuf.sys.SyscallException;
import kvmuf.x86.Regs;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The system fd: what every KVM kernel answers. */
@Tag("kvm")
@Timeout(60)
class KvmSystemTest {
  @Test
  void apiVersionIs12() {
    try (Kvm kvm = KvmTestSupport.openKvmOrSkip()) {
      assertThat(kvm.apiVersion()).isEqualTo(Kvm.API_VERSION);
    }
  }

  @Test
  void vcpuMmapSizeCoversKvmRun() {
    try (Kvm kvm = KvmTestSupport.openKvmOrSkip()) {
      assertThat(kvm.vcpuMmapSize()).isGreaterThanOrEqualTo(4096);
    }
  }

  @Test
  void basicCapabilitiesAndVmCreation() {
    try (Kvm kvm = KvmTestSupport.openKvmOrSkip()) {
      assertThat(kvm.checkExtension(KvmCap.USER_MEMORY)).isPositive();
      assertThat(kvm.checkExtension(KvmCap.NR_MEMSLOTS)).isGreaterThan(1);
      assertThat(kvm.checkExtension(100_000)).as("unknown capability answers 0").isZero();
      try (Vm vm = kvm.createVm()) {
        assertThat(vm.checkExtension(KvmCap.USER_MEMORY)).isPositive();
        try (Vcpu v = vm.createVcpu(0)) {
          assertThat(v.getRegs().get(Regs.Reg.RIP)).as("x86 reset vector rip").isEqualTo(0xfff0);
        }
      }
    }
  }

  @Test
  void enableCapOnTheVm() {
    try (Kvm kvm = KvmTestSupport.openKvmOrSkip()) {
      KvmTestSupport.assumeCap(kvm, KvmCap.MANUAL_DIRTY_LOG_PROTECT2);
      try (Vm vm = kvm.createVm()) {
        // KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE (bit 0): accepted before any memslot exists.
        vm.enableCap(KvmCap.MANUAL_DIRTY_LOG_PROTECT2.number(), 1);
        assertThatThrownBy(() -> vm.enableCap(100_000))
            .isInstanceOf(SyscallException.class)
            .hasMessageContaining("KVM_ENABLE_CAP")
            .hasMessageContaining("cap=100000")
            .hasMessageContaining("EINVAL");
      }
    }
  }
}
