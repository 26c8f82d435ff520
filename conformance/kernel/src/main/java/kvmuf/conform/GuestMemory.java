package kvmuf.conform;

import java.lang.foreign.ValueLayout;
import kvmuf.gmem.GuestMemfd;
import kvmuf.kvm.KvmCap;
import kvmuf.kvm.MemoryRegion2;
import kvmuf.kvm.Memslot;
import kvmuf.kvm.UnsupportedFeatureException;
import kvmuf.kvm.Vm;
import kvmuf.model.Config.SlotKind;
import kvmuf.sys.Mapping;
import kvmuf.sys.Memfd;

/**
 * The host memory behind the target's memslot. {@code guestView} is what the memslot (and userfaultfd)
 * covers; {@code vmmView} is where the VMM writes contents before UFFDIO_CONTINUE (a second mapping of the
 * same memfd for shmem; the same mapping otherwise).
 *
 * <ul>
 *   <li>anon: private anonymous memory, 2 MiB aligned, MADV_HUGEPAGE (THP-capable), owned by the Vm;
 *   <li>shmem: a memfd mapped twice (the page cache holds contents; the guest's view faults MINOR);
 *   <li>gmem: a guest_memfd created with GUEST_MEMFD_FLAG_MMAP (and INIT_SHARED where offered), mapped once
 *       for the VMM's writes; the slot is bound to the fd (KVM_MEM_GUEST_MEMFD). Where the kernel lacks
 *       KVM_CAP_GUEST_MEMFD or the MMAP flag, creating it is unsupported.
 * </ul>
 */
final class GuestMemory implements AutoCloseable {
  static final long PAGE = 4096;
  static final long MIB2 = 2L << 20;

  private final SlotKind kind;
  private final Mapping guestView;
  private final Mapping vmmView;
  private final Memfd memfd;
  private final GuestMemfd gmem;

  private GuestMemory(SlotKind kind, Mapping guestView, Mapping vmmView, Memfd memfd, GuestMemfd gmem) {
    this.kind = kind;
    this.guestView = guestView;
    this.vmmView = vmmView;
    this.memfd = memfd;
    this.gmem = gmem;
  }

  static GuestMemory create(Vm vm, SlotKind kind, long pages) {
    long size = pages * PAGE;
    return switch (kind) {
      case ANON -> {
        Mapping m = vm.mapAnonymousAligned(size, MIB2);
        m.adviseHugePages();
        yield new GuestMemory(kind, m, m, null, null);
      }
      case SHMEM -> {
        Memfd fd = Memfd.create("kvmuf-conform", size);
        yield new GuestMemory(kind, fd.map(), fd.map(), fd, null);
      }
      case GMEM -> {
        if (vm.checkExtension(KvmCap.GUEST_MEMFD) <= 0) {
          throw new UnsupportedFeatureException("unsupported: KVM_CAP_GUEST_MEMFD not offered by this kernel");
        }
        int offered = vm.checkExtension(KvmCap.GUEST_MEMFD_FLAGS);
        if ((offered & GuestMemfd.FLAG_MMAP) == 0) {
          throw new UnsupportedFeatureException("unsupported: GUEST_MEMFD_FLAG_MMAP not offered by this kernel (flags " + offered + ")");
        }
        GuestMemfd g = vm.createGuestMemfd(size, GuestMemfd.FLAG_MMAP | (offered & GuestMemfd.FLAG_INIT_SHARED));
        Mapping view = g.map();
        yield new GuestMemory(kind, view, view, null, g);
      }
    };
  }

  /** Creates the memslot over this memory (bound to the guest_memfd for gmem). */
  Memslot addMemslot(Vm vm, int slot, long gpa) {
    if (gmem == null) return vm.addMemslot(slot, gpa, guestView);
    MemoryRegion2 r = MemoryRegion2.of(slot, 0, gpa, guestView.length(), guestView.address()).withGuestMemfd(gmem.fd(), 0);
    return vm.addMemslot(r, guestView);
  }

  SlotKind kind() {
    return kind;
  }

  Mapping guestView() {
    return guestView;
  }

  long hva(int gfn) {
    return guestView.address() + gfn * PAGE;
  }

  /** Whether a host address lies in the guest's view; the gfn it belongs to. */
  int gfnOf(long hva) {
    long off = hva - guestView.address();
    return off < 0 || off >= guestView.length() ? -1 : (int) (off / PAGE);
  }

  /** Writes zeros over the whole slot through the VMM's view: every page gets a host backing page. */
  void prefill() {
    vmmView.segment().fill((byte) 0);
  }

  /** Writes gfn's fetched contents through the VMM's view (shmem: into the page cache, not mapped for the guest). */
  void writeFetched(int gfn) {
    var page = vmmView.segment().asSlice(gfn * PAGE, PAGE);
    for (long off = 0; off < PAGE; off += 4) page.set(ValueLayout.JAVA_INT, off, Contents.fetched(gfn));
  }

  /**
   * The model's Invalidate: MADV_DONTNEED over gfn's page of the guest's view (guest_memfd: a punch hole);
   * the mmu notifier (guest_memfd: its invalidation) zaps KVM's mapping of it. Returns the call's name.
   */
  String invalidate(int gfn) {
    if (gmem != null) {
      gmem.punchHole(gfn * PAGE, PAGE);
      return "fallocate(PUNCH_HOLE)";
    }
    guestView.dontNeed(gfn * PAGE, PAGE);
    return "madvise(MADV_DONTNEED)";
  }

  /** The call {@link #invalidate} makes. */
  String invalidateCall() {
    return gmem != null ? "fallocate(PUNCH_HOLE)" : "madvise(MADV_DONTNEED)";
  }

  /** Unmaps what the Vm does not own; call after the Vm is closed (the memslot no longer points here). */
  @Override
  public void close() {
    if (gmem != null) {
      if (guestView.pinCount() == 0) guestView.close();
      gmem.close();
    }
    if (memfd != null) {
      if (guestView.pinCount() == 0) guestView.close();
      vmmView.close();
      memfd.close();
    }
  }
}
