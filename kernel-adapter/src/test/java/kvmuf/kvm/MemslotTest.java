package kvmuf.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import kvmuf.sys.Errno;
import kvmuf.sys.Mapping;
import kvmuf.sys.SyscallException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Memslot ioctls: the errors conformance steps observe, and the KVM Userfault gate. */
@Tag("kvm")
@Timeout(60)
class MemslotTest {
  static final long MIB = 1 << 20;

  @Test
  void overlappingSlotIsRejectedWithEexist() {
    try (Kvm kvm = KvmTestSupport.openKvmOrSkip();
        Vm vm = kvm.createVm()) {
      Mapping a = vm.mapAnonymous(2 * MIB, false);
      Mapping b = vm.mapAnonymous(2 * MIB, false);
      vm.setUserMemoryRegion(0, 0, 0x100000, a);
      assertThatThrownBy(() -> vm.setUserMemoryRegion(1, 0, 0x200000, b))
          .isInstanceOf(SyscallException.class)
          .hasMessageContaining("KVM_SET_USER_MEMORY_REGION")
          .hasMessageContaining("EEXIST")
          .hasMessageContaining("slot=1");
    }
  }

  @Test
  void setUserMemoryRegion2CreatesAndDeletesASlot() {
    try (Kvm kvm = KvmTestSupport.openKvmOrSkip()) {
      KvmTestSupport.assumeCap(kvm, KvmCap.USER_MEMORY2);
      try (Vm vm = kvm.createVm()) {
        Mapping m = vm.mapAnonymous(MIB, false);
        vm.setUserMemoryRegion2(MemoryRegion2.of(3, 0, 0x400000, m.length(), m.address()), m, null);
        assertThat(m.pinCount()).isEqualTo(1);
        assertThatThrownBy(m::close).isInstanceOf(IllegalStateException.class).hasMessageContaining("memslot");
        // Overlap through the v2 ioctl is EEXIST as well.
        assertThatThrownBy(() -> vm.setUserMemoryRegion2(MemoryRegion2.of(4, 0, 0x400000, m.length(), m.address())))
            .isInstanceOf(SyscallException.class)
            .satisfies(e -> assertThat(((SyscallException) e).is(Errno.EEXIST)).isTrue());
        vm.setUserMemoryRegion2(MemoryRegion2.of(3, 0, 0x400000, 0, 0), null, null);
        assertThat(m.pinCount()).isZero();
      }
    }
  }

  @Test
  void userfaultFlagOnAKernelWithoutTheCapabilityIsEinval() {
    try (Kvm kvm = KvmTestSupport.openKvmOrSkip()) {
      KvmTestSupport.assumeCap(kvm, KvmCap.USER_MEMORY2);
      UapiProfile probed = UapiProfile.detect(kvm);
      assumeTrue(!probed.hasUserfault(), "this kernel offers KVM_CAP_USERFAULT (" + probed + "): see UserfaultTest");
      try (Vm vm = kvm.createVm(0, UapiProfile.UPSTREAM)) {
        Mapping m = vm.mapAnonymous(MIB, false);
        MemoryRegion2 r = MemoryRegion2.of(0, 0, 0x100000, m.length(), m.address());
        vm.setUserMemoryRegion2(r, m, null);
        // A flags-only update setting bit 3: an upstream kernel refuses unknown flags with EINVAL.
        assertThatThrownBy(() -> vm.setUserMemoryRegion2Unchecked(r.withFlags(UapiProfile.KVM_MEM_USERFAULT)))
            .isInstanceOf(SyscallException.class)
            .hasMessageContaining("KVM_SET_USER_MEMORY_REGION2")
            .hasMessageContaining("flags=0x8")
            .satisfies(e -> assertThat(((SyscallException) e).is(Errno.EINVAL)).isTrue());
        // The checked call refuses before the kernel sees it, naming the missing capability.
        assertThatThrownBy(() -> vm.setUserMemoryRegion2(r.withFlags(UapiProfile.KVM_MEM_USERFAULT)))
            .isInstanceOf(UnsupportedFeatureException.class)
            .hasMessageStartingWith("unsupported: KVM_CAP_USERFAULT not offered by this kernel");
      }
      // Forcing a userfault profile on this kernel is refused the same way, not passed silently.
      try (Vm vm = kvm.createVm(0, UapiProfile.UF_V3)) {
        assertThatThrownBy(vm::requireUserfault)
            .isInstanceOf(UnsupportedFeatureException.class)
            .hasMessageContaining("KVM_CAP_USERFAULT not offered by this kernel")
            .hasMessageContaining("KVM_MEM_USERFAULT rejected (EINVAL");
      }
    }
  }

  @Test
  void dirtyLogReportsTheGuestWrittenPage() {
    try (Kvm kvm = KvmTestSupport.openKvmOrSkip();
        Vm vm = kvm.createVm()) {
      Vcpu vcpu = vm.createVcpu(0);
      var agent = kvmuf.x86.guest.GuestAgent.install(vm, vcpu);
      Mapping m = vm.mapAnonymous(16 * 4096, false);
      vm.setUserMemoryRegion(0, UapiProfile.KVM_MEM_LOG_DIRTY_PAGES, 0x100000, m);
      assertThat(vm.getDirtyLog(0, 16)).containsExactly(0L);
      assertThat(agent.write(0x100000 + 5 * 4096 + 8, 7)).isEqualTo(new kvmuf.x86.guest.AgentResult.Value(7));
      assertThat(vm.getDirtyLog(0, 16)).containsExactly(1L << 5);
      assertThat(vm.getDirtyLog(0, 16)).as("reset by the previous call").containsExactly(0L);
    }
  }

  @Test
  void flagsOnlyUpdatesOnALiveSlot() {
    try (Kvm kvm = KvmTestSupport.openKvmOrSkip()) {
      KvmTestSupport.assumeCap(kvm, KvmCap.USER_MEMORY2);
      try (Vm vm = kvm.createVm(0, UapiProfile.UPSTREAM);
          UserfaultBitmap bitmap = new UserfaultBitmap(8)) {
        var agent = kvmuf.x86.guest.GuestAgent.install(vm, vm.createVcpu(0));
        Mapping m = vm.mapAnonymous(8 * 4096, false);
        Memslot slot = vm.addMemslot(2, 0x300000, m);
        assertThat(agent.write(slot.gpaOf(1), 11)).isEqualTo(new kvmuf.x86.guest.AgentResult.Value(11));

        slot.enableDirtyLog();
        assertThat(slot.flags()).isEqualTo(UapiProfile.KVM_MEM_LOG_DIRTY_PAGES);
        assertThat(agent.write(slot.gpaOf(2), 22)).isEqualTo(new kvmuf.x86.guest.AgentResult.Value(22));
        assertThat(slot.dirtyLog()).containsExactly(1L << 2);
        slot.disableDirtyLog();
        assertThat(slot.flags()).isZero();
        assertThat(agent.read(slot.gpaOf(1))).as("contents survive flag changes").isEqualTo(new kvmuf.x86.guest.AgentResult.Value(11));

        // EnableUserfault on an upstream profile is refused before the kernel is asked; the slot is unchanged.
        assertThatThrownBy(() -> slot.enableUserfault(bitmap)).isInstanceOf(UnsupportedFeatureException.class);
        assertThat(slot.flags()).isZero();
        assertThat(bitmap.mapping().pinCount()).isZero();

        slot.delete();
        assertThat(m.pinCount()).isZero();
        assertThat(agent.read(slot.gpaOf(1))).as("deleted slot: MMIO").isInstanceOf(kvmuf.x86.guest.AgentResult.Interrupted.class);
      }
    }
  }
}
