package kvmuf.kvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import kvmuf.sys.Libc;
import kvmuf.sys.Mapping;
import kvmuf.uffd.MfillResult;
import kvmuf.uffd.UffdEvent;
import kvmuf.uffd.UffdFeature;
import kvmuf.uffd.Userfaultfd;
import kvmuf.x86.guest.AgentResult;
import kvmuf.x86.guest.GuestAgent;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A guest read of a userfaultfd-MISSING page: KVM's fault-in on behalf of the vCPU blocks in the uffd,
 * the handler (this test thread) sees the event from the vCPU thread and resolves it with UFFDIO_COPY, the
 * guest load completes with the copied bytes. The same sequence as the reference kvmprobe.c.
 */
@Tag("kvm")
@Timeout(60)
class UffdGuestTest {
  static final long PAGE = 4096;
  static final long BASE = 0x100000;

  /** Runs {@code access} on a thread of its own (KVM_RUN blocks in native code until the fault is resolved), noting its tid. */
  static CompletableFuture<AgentResult> onVcpuThread(CompletableFuture<Integer> tid, java.util.function.Supplier<AgentResult> access) {
    return CompletableFuture.supplyAsync(
        () -> {
          tid.complete(Libc.gettid());
          return access.get();
        },
        r -> {
          Thread t = new Thread(r, "vcpu0");
          t.setDaemon(true);
          t.start();
        });
  }

  @Test
  void guestReadOfAMissingPageIsResolvedByCopy() throws Exception {
    long features = Userfaultfd.supportedFeatures() & UffdFeature.THREAD_ID.mask();
    try (Kvm kvm = KvmTestSupport.openKvmOrSkip();
        Vm vm = kvm.createVm();
        Mapping src = Mapping.anonymous(PAGE, false)) {
      Vcpu vcpu = vm.createVcpu(0);
      GuestAgent agent = GuestAgent.install(vm, vcpu);
      // Shared anonymous memory, as in kvmprobe.c; page 1 is dropped and registered MISSING.
      Mapping mem = vm.mapAnonymous(4 * PAGE, true);
      vm.setUserMemoryRegion(0, 0, BASE, mem);
      mem.dontNeed(PAGE, PAGE);
      src.segment().set(ValueLayout.JAVA_INT, 0x40, 0x600DF00D);
      CompletableFuture<AgentResult> read;
      CompletableFuture<Integer> vcpuTid = new CompletableFuture<>();
      try (Userfaultfd uffd = Userfaultfd.open(features)) {
        uffd.register(mem.address() + PAGE, PAGE, Userfaultfd.REGISTER_MODE_MISSING);
        // The vCPU runs on its own thread: KVM_RUN blocks (in native code) until the fault is resolved.
        read = onVcpuThread(vcpuTid, () -> agent.read(BASE + PAGE + 0x40));
        UffdEvent.Pagefault pf = (UffdEvent.Pagefault) uffd.readEvent(Duration.ofSeconds(10)).orElseThrow();
        assertThat(pf.pageAddress()).isEqualTo(mem.address() + PAGE);
        if (features != 0) assertThat(pf.threadId()).as("the vCPU thread faulted").isEqualTo(vcpuTid.get(5, TimeUnit.SECONDS));
        Thread.sleep(200);
        assertThat(read).as("guest blocked until the page is installed").isNotDone();
        assertThat(uffd.copy(mem.address() + PAGE, src.address(), PAGE, false)).isEqualTo(new MfillResult.Done(PAGE));
        assertThat(read.get(10, TimeUnit.SECONDS)).isEqualTo(new AgentResult.Value(0x600DF00D));
      } finally {
        // Closing the uffd (end of try) released the vCPU if the test failed before the copy.
      }
    }
  }

  /**
   * A MOVE (KVM_SET_USER_MEMORY_REGION2 with a new guest_phys_addr, same memory): the guest reads the same contents at
   * the new gpa, and the old gpa is outside every slot (KVM_EXIT_MMIO).
   */
  @Test
  void aMovedSlotIsReadAtItsNewAddressAndTheOldOneIsMmio() {
    try (Kvm kvm = KvmTestSupport.openKvmOrSkip()) {
      KvmTestSupport.assumeCap(kvm, KvmCap.USER_MEMORY2);
      try (Vm vm = kvm.createVm()) {
        GuestAgent agent = GuestAgent.install(vm, vm.createVcpu(0));
        Mapping mem = vm.mapAnonymous(4 * PAGE, false);
        mem.segment().set(ValueLayout.JAVA_INT, PAGE + 0x20, 0x5EEDF00D);
        Memslot slot = vm.addMemslot(1, BASE, mem);
        assertThat(agent.read(BASE + PAGE + 0x20)).isEqualTo(new AgentResult.Value(0x5EEDF00D));
        long moved = 0x4000_0000L;
        slot.move(moved);
        assertThat(slot.guestPhysAddr()).isEqualTo(moved);
        assertThat(agent.read(moved + PAGE + 0x20)).as("the same page at the new gpa").isEqualTo(new AgentResult.Value(0x5EEDF00D));
        assertThat(agent.read(BASE + PAGE + 0x20)).as("the old gpa has no slot any more")
            .isInstanceOfSatisfying(AgentResult.Interrupted.class, i -> assertThat(i.exit()).isInstanceOfSatisfying(Exit.Mmio.class,
                m -> assertThat(m.gpa()).isEqualTo(BASE + PAGE + 0x20)));
      }
    }
  }

  @Test
  void aDeletedSlotsGpaIsMmio() {
    try (Kvm kvm = KvmTestSupport.openKvmOrSkip()) {
      KvmTestSupport.assumeCap(kvm, KvmCap.USER_MEMORY2);
      try (Vm vm = kvm.createVm()) {
        GuestAgent agent = GuestAgent.install(vm, vm.createVcpu(0));
        Mapping mem = vm.mapAnonymous(4 * PAGE, false);
        mem.segment().set(ValueLayout.JAVA_INT, 0x20, 0x0DDBA11);
        Memslot slot = vm.addMemslot(1, BASE, mem);
        assertThat(agent.read(BASE + 0x20)).isEqualTo(new AgentResult.Value(0x0DDBA11));
        slot.delete();
        assertThat(agent.read(BASE + 0x20)).as("deleted: no slot there")
            .isInstanceOfSatisfying(AgentResult.Interrupted.class, i -> assertThat(i.exit()).isInstanceOf(Exit.Mmio.class));
      }
    }
  }

  /**
   * KVM's own read (the agent's op 4: string port I/O KVM emulates) of a userfaultfd-MISSING page: KVM's
   * copy_from_user sleeps in the uffd on the vCPU thread, the same as a guest fault, and once the page is
   * copied KVM reports what it read.
   */
  @Test
  void kvmsOwnReadOfAMissingPageSleepsInUserfaultfdAndReadsTheCopy() throws Exception {
    long features = Userfaultfd.supportedFeatures() & UffdFeature.THREAD_ID.mask();
    try (Kvm kvm = KvmTestSupport.openKvmOrSkip();
        Vm vm = kvm.createVm();
        Mapping src = Mapping.anonymous(PAGE, false)) {
      Vcpu vcpu = vm.createVcpu(0);
      GuestAgent agent = GuestAgent.install(vm, vcpu);
      Mapping mem = vm.mapAnonymous(4 * PAGE, true);
      vm.setUserMemoryRegion(0, 0, BASE, mem);
      mem.segment().set(ValueLayout.JAVA_INT, 0x10, 0x1234ABCD);
      assertThat(agent.kvmRead(BASE + 0x10)).as("KVM reads a present page").isEqualTo(new AgentResult.Value(0x1234ABCD));
      mem.dontNeed(PAGE, PAGE);
      src.segment().set(ValueLayout.JAVA_INT, 0x40, 0x0BADCAFE);
      CompletableFuture<Integer> vcpuTid = new CompletableFuture<>();
      try (Userfaultfd uffd = Userfaultfd.open(features)) {
        uffd.register(mem.address() + PAGE, PAGE, Userfaultfd.REGISTER_MODE_MISSING);
        CompletableFuture<AgentResult> read = onVcpuThread(vcpuTid, () -> agent.kvmRead(BASE + PAGE + 0x40));
        UffdEvent.Pagefault pf = (UffdEvent.Pagefault) uffd.readEvent(Duration.ofSeconds(10)).orElseThrow();
        assertThat(pf.pageAddress()).isEqualTo(mem.address() + PAGE);
        if (features != 0) assertThat(pf.threadId()).as("KVM read on the vCPU thread").isEqualTo(vcpuTid.get(5, TimeUnit.SECONDS));
        assertThat(read).as("KVM's read waits for the page (no exit: KVM's own accesses are left to userfaultfd)").isNotDone();
        assertThat(uffd.copy(mem.address() + PAGE, src.address(), PAGE, false)).isEqualTo(new MfillResult.Done(PAGE));
        assertThat(read.get(10, TimeUnit.SECONDS)).isEqualTo(new AgentResult.Value(0x0BADCAFE));
      }
    }
  }
}
