package kvmuf.kvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.ValueLayout;
import kvmuf.gmem.GuestMemfd;
import kvmuf.sys.Mapping;
import kvmuf.x86.guest.AgentResult;
import kvmuf.x86.guest.GuestAgent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The one backing-memory builder of bench and conformance: what each kind maps, who unmaps it. */
class SlotMemoryTest {
  static final long PAGE = SlotMemory.PAGE;

  @Test
  void shmemHasTwoViewsOfOnePageCache() {
    SlotMemory m = SlotMemory.shmem("kvmuf-test", 8 * PAGE);
    Mapping guest = m.guestView(), vmm = m.vmmView();
    assertThat(guest.address()).isNotEqualTo(vmm.address());
    assertThat(m.size()).isEqualTo(8 * PAGE);
    assertThat(m.guestMemfd()).isEmpty();
    vmm.segment().set(ValueLayout.JAVA_INT, 3 * PAGE, 0xBEEF);
    assertThat(guest.segment().get(ValueLayout.JAVA_INT, 3 * PAGE)).isEqualTo(0xBEEF);
    m.close();
    assertThat(guest.isOpen()).isFalse();
    assertThat(vmm.isOpen()).isFalse();
  }

  @Test
  void advisedAnonymousMemoryIs2MibAlignedAndOneView() {
    SlotMemory m = SlotMemory.anonymous(512 * PAGE, SlotMemory.HugePages.ADVISED);
    assertThat(m.guestView().address() % SlotMemory.HUGE_PAGE).isZero();
    assertThat(m.size()).isEqualTo(512 * PAGE);
    assertThat(m.vmmView()).isSameAs(m.guestView());
    m.close();
    assertThat(m.guestView().isOpen()).isFalse();
  }

  @Test
  void anonymousMemoryWithoutHugePagesIsUnmappedByClose() {
    SlotMemory m = SlotMemory.anonymous(16 * PAGE, SlotMemory.HugePages.OFF);
    m.guestView().segment().set(ValueLayout.JAVA_INT, 0, 1);
    assertThat(m.vmmView()).isSameAs(m.guestView());
    m.close();
    assertThat(m.guestView().isOpen()).isFalse();
  }

  @Test
  @Tag("kvm")
  @Timeout(60)
  void anonymousMemoryOwnedByAVmOutlivesCloseAndGoesWithTheVm() {
    try (Kvm kvm = KvmTestSupport.openKvmOrSkip()) {
      KvmTestSupport.assumeCap(kvm, KvmCap.USER_MEMORY2);
      Vm vm = kvm.createVm();
      SlotMemory m = SlotMemory.anonymous(vm, 512 * PAGE, SlotMemory.HugePages.ADVISED);
      Memslot slot = m.addMemslot(vm, 0, 0x200000);
      assertThat(m.guestView().pinCount()).as("pinned by the slot").isEqualTo(1);
      assertThat(slot.pages()).isEqualTo(512);
      m.close();
      assertThat(m.guestView().isOpen()).as("the Vm's, not this object's").isTrue();
      vm.close();
      assertThat(m.guestView().isOpen()).isFalse();
    }
  }

  @Test
  @Tag("kvm")
  @Timeout(60)
  void aGuestMemfdSlotIsBoundToTheFdAndTheGuestReadsTheVmmsWrite() {
    try (Kvm kvm = KvmTestSupport.openKvmOrSkip()) {
      KvmTestSupport.assumeCap(kvm, KvmCap.GUEST_MEMFD);
      KvmTestSupport.assumeCap(kvm, KvmCap.USER_MEMORY2);
      try (Vm vm = kvm.createVm()) {
        int flags = vm.checkExtension(KvmCap.GUEST_MEMFD_FLAGS);
        org.junit.jupiter.api.Assumptions.assumeTrue(
            (flags & GuestMemfd.FLAG_MMAP) != 0, "unsupported: GUEST_MEMFD_FLAG_MMAP not offered (flags " + flags + ")");
        GuestAgent agent = GuestAgent.install(vm, vm.createVcpu(0));
        SlotMemory m = SlotMemory.guestMemfd(vm, 16 * PAGE);
        assertThat(m.guestMemfd()).isPresent();
        assertThat(m.vmmView()).isSameAs(m.guestView());
        m.vmmView().segment().set(ValueLayout.JAVA_INT, 2 * PAGE, 0x6E6E);
        Memslot slot = m.addMemslot(vm, 2, 0x200000);
        assertThat(slot.flags() & UapiProfile.KVM_MEM_GUEST_MEMFD).isNotZero();
        assertThat(slot.region().guestMemfd()).isEqualTo(m.guestMemfd().get().fd());
        assertThat(agent.read(0x202000)).isEqualTo(new AgentResult.Value(0x6E6E));
        slot.delete();
        m.close();
        assertThat(m.guestView().isOpen()).isFalse();
      }
    }
  }

  /**
   * guest_memfd post-copy: the slot is created with KVM_MEM_USERFAULT and every bit set (UserfaultUse = start);
   * the guest's read stops at a userfault exit, the VMM writes the page through the guest_memfd mapping and
   * clears the bit, the re-run read sees it; flags-only DisableUserfault / EnableUserfault keep the slot bound to
   * the guest_memfd (the facts file: the binding must survive a flags-only update). Without KVM_CAP_USERFAULT
   * creating such a slot is unsupported with the reason.
   */
  @Test
  @Tag("kvm")
  @Timeout(60)
  void aGuestMemfdSlotCreatedWithUserfaultExitsUntilTheVmmWritesThroughTheMapping() {
    try (Kvm kvm = KvmTestSupport.openKvmOrSkip()) {
      KvmTestSupport.assumeCap(kvm, KvmCap.USER_MEMORY2);
      try (UserfaultBitmap bits = new UserfaultBitmap(16); Vm vm = kvm.createVm()) { // the bitmap outlives the VM
        java.util.Optional<String> noGmem = SlotMemory.guestMemfdUnsupported(vm);
        org.junit.jupiter.api.Assumptions.assumeTrue(noGmem.isEmpty(), () -> "unsupported: " + noGmem.orElse(""));
        GuestAgent agent = GuestAgent.install(vm, vm.createVcpu(0));
        SlotMemory m = SlotMemory.guestMemfd(vm, 16 * PAGE);
        bits.setAll();
        if (!vm.profile().hasUserfault()) {
          org.assertj.core.api.Assertions.assertThatThrownBy(() -> m.addMemslot(vm, 2, 0x200000, bits))
              .isInstanceOf(UnsupportedFeatureException.class)
              .hasMessageStartingWith("unsupported: KVM_CAP_USERFAULT not offered");
          m.close();
          return;
        }
        Memslot slot = m.addMemslot(vm, 2, 0x200000, bits);
        int fd = m.guestMemfd().get().fd();
        assertThat(slot.flags()).isEqualTo(UapiProfile.KVM_MEM_GUEST_MEMFD | UapiProfile.KVM_MEM_USERFAULT);
        AgentResult r = agent.read(0x203000);
        assertThat(r).isInstanceOfSatisfying(AgentResult.Interrupted.class, i -> assertThat(i.exit())
            .isInstanceOfSatisfying(Exit.MemoryFault.class, f -> {
              assertThat(f.gpa()).isEqualTo(0x203000);
              assertThat(f.flags() & UapiProfile.KVM_MEMORY_EXIT_FLAG_USERFAULT).isNotZero();
            }));
        m.vmmView().segment().set(ValueLayout.JAVA_INT, 3 * PAGE, 0x7A7A);
        bits.clear(3);
        assertThat(agent.resume()).isEqualTo(new AgentResult.Value(0x7A7A));
        slot.disableUserfault();
        assertThat(slot.flags()).isEqualTo(UapiProfile.KVM_MEM_GUEST_MEMFD);
        assertThat(slot.region().guestMemfd()).isEqualTo(fd);
        assertThat(agent.read(0x204000)).as("bit set, USERFAULT off: the INIT_SHARED zero page").isEqualTo(new AgentResult.Value(0));
        slot.enableUserfault(bits);
        assertThat(slot.flags()).isEqualTo(UapiProfile.KVM_MEM_GUEST_MEMFD | UapiProfile.KVM_MEM_USERFAULT);
        assertThat(slot.region().guestMemfd()).isEqualTo(fd);
        assertThat(agent.read(0x203000)).as("bit clear: the page the VMM wrote").isEqualTo(new AgentResult.Value(0x7A7A));
        assertThat(agent.read(0x205000)).as("bit set again after the zap on enable").isInstanceOf(AgentResult.Interrupted.class);
        agent.abandon();
        slot.delete();
        m.close();
      }
    }
  }
}
