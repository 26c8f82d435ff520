package kvmuf.conform;

import java.lang.foreign.ValueLayout;
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
 *   <li>shmem: a memfd mapped twice (the page cache holds contents; the guest's view faults MINOR).
 * </ul>
 */
final class GuestMemory implements AutoCloseable {
  static final long PAGE = 4096;
  static final long MIB2 = 2L << 20;

  private final SlotKind kind;
  private final Mapping guestView;
  private final Mapping vmmView;
  private final Memfd memfd;

  private GuestMemory(SlotKind kind, Mapping guestView, Mapping vmmView, Memfd memfd) {
    this.kind = kind;
    this.guestView = guestView;
    this.vmmView = vmmView;
    this.memfd = memfd;
  }

  static GuestMemory create(Vm vm, SlotKind kind, long pages) {
    long size = pages * PAGE;
    return switch (kind) {
      case ANON -> {
        Mapping m = vm.mapAnonymousAligned(size, MIB2);
        m.adviseHugePages();
        yield new GuestMemory(kind, m, m, null);
      }
      case SHMEM -> {
        Memfd fd = Memfd.create("kvmuf-conform", size);
        yield new GuestMemory(kind, fd.map(), fd.map(), fd);
      }
      case GMEM -> throw new UnsupportedFeatureException("unsupported: guest_memfd backing is not driven by this target yet");
    };
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

  /** MADV_DONTNEED over gfn's page of the guest's view: the mmu notifier zaps KVM's mapping of it. */
  void dontNeed(int gfn) {
    guestView.dontNeed(gfn * PAGE, PAGE);
  }

  /** Unmaps what the Vm does not own; call after the Vm is closed (the memslot no longer points here). */
  @Override
  public void close() {
    if (memfd != null) {
      if (guestView.pinCount() == 0) guestView.close();
      vmmView.close();
      memfd.close();
    }
  }
}
