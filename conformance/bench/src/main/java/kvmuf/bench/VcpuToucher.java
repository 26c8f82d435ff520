package kvmuf.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import kvmuf.kvm.Exit;
import kvmuf.kvm.Kvm;
import kvmuf.kvm.Memslot;
import kvmuf.kvm.UserfaultBitmap;
import kvmuf.kvm.Vcpu;
import kvmuf.kvm.Vm;
import kvmuf.sys.Libc;
import kvmuf.uffd.MfillResult;
import kvmuf.uffd.Userfaultfd;
import kvmuf.x86.guest.AgentResult;
import kvmuf.x86.guest.GuestAgent;

/**
 * --target host (and, inside the VM, --target vm): one VM, the region as memslot 0 at
 * {@link BenchConfig#GUEST_BASE_GPA}, one vCPU per chunk running the guest agent. vCPU i touches its chunk with
 * one touch-range command (one page per 4 KiB, the agent's {@code inc dword}), so the timed part is the guest's
 * faults, not command exits. userfaultfd faults never leave KVM_RUN: the vCPU thread blocks in it until a
 * reader installs the page.
 *
 * <p>KVM Userfault modes (kvm-uf, kvm-uf+uffd): the slot gets KVM_MEM_USERFAULT with every bit set; each first
 * access exits with KVM_EXIT_MEMORY_FAULT (flag USERFAULT), and the vCPU thread installs the page (kvm-uf: a
 * memcpy into the hva; kvm-uf+uffd: UFFDIO_COPY/CONTINUE with DONTWAKE on the covering uffd), clears the bit
 * with release order and resumes, as the series' demand_paging_test -k does. This path needs
 * KVM_CAP_USERFAULT and has not run on any kernel the kit was tested on (none offers it).
 */
final class VcpuToucher implements Toucher {
  private final Vm vm;
  private final Region region;
  private final Mode mode;
  private final FaultServer server;
  private final Vcpu[] vcpus;
  private final GuestAgent[] agents;
  private final long[] selfResolved;
  private final UserfaultBitmap bitmap;
  private final GuestAgent.Program program;
  private final Arena arena = Arena.ofShared();
  /** A zero page: the contents every demand-paged page starts with. */
  private final MemorySegment zeroPage = arena.allocate(Sizes.PAGE, Sizes.PAGE);

  /** Throws UnsupportedFeatureException for a KVM Userfault mode on a kernel without KVM_CAP_USERFAULT. */
  VcpuToucher(Kvm kvm, Region region, Mode mode, FaultServer server) {
    this.region = region;
    this.mode = mode;
    this.server = server;
    this.vm = kvm.createVm();
    try {
      if (mode.usesKvmUserfault()) vm.requireUserfault();
      program = GuestAgent.load(vm, GuestAgent.defaultSlot(vm), GuestAgent.DEFAULT_CODE_GPA);
      if (mode.usesKvmUserfault()) {
        Memslot slot = vm.addMemslot(0, BenchConfig.GUEST_BASE_GPA, region.view());
        bitmap = new UserfaultBitmap(region.length() / Sizes.PAGE);
        bitmap.setAll(); // "everything is userfault initially", as the series' -k
        slot.enableUserfault(bitmap);
      } else {
        bitmap = null;
        vm.setUserMemoryRegion(0, 0, BenchConfig.GUEST_BASE_GPA, region.view());
      }
      int n = region.chunks();
      vcpus = new Vcpu[n];
      agents = new GuestAgent[n];
      selfResolved = new long[n];
      for (int i = 0; i < n; i++) vcpus[i] = vm.createVcpu(i);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  @Override
  public void prepare(int i) {
    agents[i] = program.start(vcpus[i]);
  }

  @Override
  public long touch(int i) {
    GuestAgent agent = agents[i];
    AgentResult r = agent.touchRange(BenchConfig.GUEST_BASE_GPA + i * region.chunk(), (int) region.pagesPerChunk(), (int) Sizes.PAGE);
    while (true) {
      switch (r) {
        case AgentResult.Value v -> {
          return Integer.toUnsignedLong(v.value());
        }
        case AgentResult.Interrupted(Exit.Other o) when o.reason() == Exit.KVM_EXIT_INTR -> r = agent.resume();
        case AgentResult.Interrupted(Exit.MemoryFault mf) when bitmap != null && mf.isUserfault() -> {
          resolveUserfault(mf.gpa());
          selfResolved[i]++;
          r = agent.resume();
        }
        case AgentResult.Interrupted(Exit e) -> throw new IllegalStateException("vCPU " + i + ": unexpected exit " + e);
      }
    }
  }

  private void resolveUserfault(long gpa) {
    long offset = (gpa & ~(Sizes.PAGE - 1)) - BenchConfig.GUEST_BASE_GPA;
    long hva = region.view().address() + offset;
    if (mode == Mode.KVM_UF) {
      Libc.memcpy(hva, zeroPage.address(), Sizes.PAGE); // the demand fetch, as the series' memcpy into the hva
    } else {
      Userfaultfd uffd = server.uffdFor(hva);
      MfillResult m =
          region.registerMode() == Userfaultfd.REGISTER_MODE_MISSING
              ? uffd.copy(hva, zeroPage.address(), Sizes.PAGE, true)
              : uffd.continueRange(hva, Sizes.PAGE, true);
      if (m instanceof MfillResult.Retry) throw new IllegalStateException("EAGAIN resolving gpa 0x" + Long.toHexString(gpa));
      // The series issues UFFDIO_WAKE when copy/continue fails (EEXIST): a reader may have a waiter on it.
      if (m instanceof MfillResult.Exists) uffd.wake(hva, Sizes.PAGE);
    }
    bitmap.clear(offset / Sizes.PAGE); // release order: the page contents before the bit
  }

  @Override
  public long selfResolved(int i) {
    return selfResolved[i];
  }

  @Override
  public void close() {
    vm.close(); // vCPUs, then the VM fd, then unpins the region (still owned by the caller)
    if (bitmap != null) bitmap.close();
    arena.close();
  }
}
