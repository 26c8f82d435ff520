package kvmuf.kvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.ValueLayout;
import kvmuf.sys.Mapping;
import kvmuf.x86.guest.AgentResult;
import kvmuf.x86.guest.GuestAgent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * KVM Userfault itself (only on a kernel carrying the series): a marked gfn exits with
 * KVM_EXIT_MEMORY_FAULT flagged USERFAULT; the VMM installs the contents, clears the bit with release
 * semantics and re-runs; the guest then reads the installed bytes. Skipped, with the reason, elsewhere.
 */
@Tag("kvm")
@Timeout(60)
class UserfaultTest {
  static final long PAGE = 4096;
  static final long BASE = 0x100000;

  @Test
  void aMarkedGfnExitsWithAUserfaultMemoryFaultUntilCleared() {
    try (Kvm kvm = KvmTestSupport.openKvmOrSkip()) {
      KvmTestSupport.assumeCap(kvm, KvmCap.USER_MEMORY2);
      UapiProfile profile = UapiProfile.detect(kvm);
      String reason = "unsupported: KVM_CAP_USERFAULT not offered by this kernel";
      if (!profile.hasUserfault()) System.err.println("[skipped] " + reason);
      assumeTrue(profile.hasUserfault(), reason);
      // The bitmap first: resources close in reverse, so the VM (and its slot using the bitmap) goes first.
      try (UserfaultBitmap bitmap = new UserfaultBitmap(16);
          Vm vm = kvm.createVm(0, profile)) {
        GuestAgent agent = GuestAgent.install(vm, vm.createVcpu(0));
        Mapping mem = vm.mapAnonymous(16 * PAGE, false);
        bitmap.set(3);
        MemoryRegion2 r =
            MemoryRegion2.of(0, UapiProfile.KVM_MEM_USERFAULT, BASE, mem.length(), mem.address())
                .withUserfaultBitmap(bitmap.address());
        vm.setUserMemoryRegion2(r, mem, bitmap);

        assertThat(agent.read(BASE + 4 * PAGE)).as("unmarked gfn").isEqualTo(new AgentResult.Value(0));
        AgentResult first = agent.read(BASE + 3 * PAGE + 8);
        Exit.MemoryFault mf = (Exit.MemoryFault) ((AgentResult.Interrupted) first).exit();
        assertThat(mf.isUserfault()).isTrue();
        assertThat(mf.gpa()).isEqualTo(BASE + 3 * PAGE);
        assertThat(mf.size()).isEqualTo(PAGE);
        // Re-running with the bit still set exits again (nothing was installed).
        assertThat(agent.resume()).isInstanceOf(AgentResult.Interrupted.class);

        mem.segment().set(ValueLayout.JAVA_INT, 3 * PAGE + 8, 0x5EED);
        bitmap.clear(3);
        assertThat(agent.resume()).isEqualTo(new AgentResult.Value(0x5EED));
      }
    }
  }

  /**
   * EnableUserfault on a live slot drops existing mappings (facts file section 2; mutant NoZapOnEnable, R5):
   * a page the guest already read exits once its bit is set and the flag enabled.
   */
  @Test
  void enablingOnALiveSlotZapsPagesTheGuestAlreadyMapped() {
    try (Kvm kvm = KvmTestSupport.openKvmOrSkip()) {
      KvmTestSupport.assumeCap(kvm, KvmCap.USER_MEMORY2);
      UapiProfile profile = UapiProfile.detect(kvm);
      String reason = "unsupported: KVM_CAP_USERFAULT not offered by this kernel";
      if (!profile.hasUserfault()) System.err.println("[skipped] " + reason);
      assumeTrue(profile.hasUserfault(), reason);
      try (Vm vm = kvm.createVm(0, profile);
          UserfaultBitmap bitmap = new UserfaultBitmap(16)) {
        GuestAgent agent = GuestAgent.install(vm, vm.createVcpu(0));
        Mapping mem = vm.mapAnonymous(16 * PAGE, false);
        mem.segment().set(ValueLayout.JAVA_INT, 5 * PAGE, 0x55);
        Memslot slot = vm.addMemslot(0, BASE, mem);
        assertThat(agent.read(slot.gpaOf(5))).isEqualTo(new AgentResult.Value(0x55)); // now mapped

        bitmap.set(5);
        slot.enableUserfault(bitmap);
        Exit.MemoryFault mf = (Exit.MemoryFault) ((AgentResult.Interrupted) agent.read(slot.gpaOf(5))).exit();
        assertThat(mf.isUserfault()).isTrue();
        assertThat(mf.gpa()).isEqualTo(slot.gpaOf(5));

        bitmap.clear(5);
        assertThat(agent.resume()).isEqualTo(new AgentResult.Value(0x55));
        slot.disableUserfault();
        bitmap.set(6);
        assertThat(agent.read(slot.gpaOf(6))).as("flag off: the bitmap is ignored").isEqualTo(new AgentResult.Value(0));
      }
    }
  }
}
