package kvmuf.gmem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.ValueLayout;
import kvmuf.kvm.Kvm;
import kvmuf.kvm.KvmCap;
import kvmuf.kvm.KvmTestSupport;
import kvmuf.kvm.MemoryRegion2;
import kvmuf.kvm.Vm;
import kvmuf.sys.Mapping;
import kvmuf.x86.guest.AgentResult;
import kvmuf.x86.guest.GuestAgent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A guest_memfd-backed slot (needs KVM_CAP_GUEST_MEMFD_FLAGS with MMAP, Linux 6.18+). */
@Tag("kvm")
@Timeout(60)
class GuestMemfdTest {
  @Test
  void theGuestReadsWhatTheVmmWroteThroughTheGuestMemfdMapping() {
    try (Kvm kvm = KvmTestSupport.openKvmOrSkip()) {
      KvmTestSupport.assumeCap(kvm, KvmCap.GUEST_MEMFD);
      KvmTestSupport.assumeCap(kvm, KvmCap.USER_MEMORY2);
      try (Vm vm = kvm.createVm()) {
        int flags = vm.checkExtension(KvmCap.GUEST_MEMFD_FLAGS);
        assumeTrue((flags & GuestMemfd.FLAG_MMAP) != 0, "unsupported: GUEST_MEMFD_FLAG_MMAP not offered (flags " + flags + ")");
        GuestAgent agent = GuestAgent.install(vm, vm.createVcpu(0));
        // INIT_SHARED (where offered) makes the memory shared, so the VMM's mapping can fault it in; a
        // kernel that offers MMAP alone treats mmap-able guest_memfd as shared already.
        long gflags = GuestMemfd.FLAG_MMAP | (flags & GuestMemfd.FLAG_INIT_SHARED);
        GuestMemfd gmem = vm.createGuestMemfd(0x10000, gflags);
        try (Mapping view = gmem.map()) {
          view.segment().set(ValueLayout.JAVA_INT, 0x2000, 0x6E6E);
          MemoryRegion2 r = MemoryRegion2.of(2, 0, 0x200000, gmem.size(), view.address()).withGuestMemfd(gmem.fd(), 0);
          vm.setUserMemoryRegion2(r, view, null);
          assertThat(agent.read(0x202000)).isEqualTo(new AgentResult.Value(0x6E6E));
          assertThat(agent.write(0x203000, 9)).isEqualTo(new AgentResult.Value(9));
          assertThat(view.segment().get(ValueLayout.JAVA_INT, 0x3000)).isEqualTo(9);
          vm.setUserMemoryRegion2(MemoryRegion2.of(2, 0, 0x200000, 0, 0), null, null);
        }
      }
    }
  }
}
