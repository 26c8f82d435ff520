package kvmuf.kvm;

import java.util.Optional;
import kvmuf.gmem.GuestMemfd;
import kvmuf.sys.Libc;
import kvmuf.sys.Mapping;
import kvmuf.sys.Memfd;
import kvmuf.sys.MemoryFile;

/**
 * The host memory behind one memslot, built one way for every user (conformance targets, the benchmark).
 * {@link #guestView()} is what the memslot and a userfaultfd registration cover; {@link #vmmView()} is where
 * the VMM writes contents before resolving a fault: a second mapping of the same file for shmem (so the
 * page cache is filled without mapping the page for the guest, and the guest's view faults MINOR), the same
 * mapping otherwise.
 *
 * <ul>
 *   <li>{@link #anonymous}: private anonymous memory; {@link HugePages#ADVISED} aligns it to 2 MiB and
 *       advises MADV_HUGEPAGE (a THP can back it, and a huge stage-2 mapping needs hva and gpa equally
 *       aligned), {@link HugePages#OFF} advises MADV_NOHUGEPAGE (every fault one 4 KiB page);
 *   <li>{@link #shmem}: a memfd mapped twice;
 *   <li>{@link #guestMemfd}: a guest_memfd created with GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED,
 *       mapped once; {@link #addMemslot} binds the slot to the fd (KVM_MEM_GUEST_MEMFD).
 * </ul>
 *
 * <p>Ownership: {@link #close()} unmaps the views and closes the file this object made, after the memslot is
 * gone (close the Vm, or delete the slot, first: a view still pinned by a slot is left mapped rather than
 * pulled from under it). Anonymous memory made with a Vm as owner is the Vm's: it is unmapped after the VM fd.
 */
public final class SlotMemory implements AutoCloseable {
  public static final long PAGE = 4096;
  /** The alignment of {@link HugePages#ADVISED} memory: one x86 2 MiB page. */
  public static final long HUGE_PAGE = 2L << 20;

  /** What anonymous memory asks of transparent huge pages. */
  public enum HugePages {
    /** 2 MiB aligned, MADV_HUGEPAGE: THP-capable (needed when THP is in "madvise" mode). */
    ADVISED,
    /** MADV_NOHUGEPAGE: every fault maps one 4 KiB page whatever the THP mode. */
    OFF
  }

  private final Mapping guestView;
  private final Mapping vmmView;
  private final Optional<MemoryFile> file;
  private final boolean ownsViews;

  private SlotMemory(Mapping guestView, Mapping vmmView, Optional<MemoryFile> file, boolean ownsViews) {
    this.guestView = guestView;
    this.vmmView = vmmView;
    this.file = file;
    this.ownsViews = ownsViews;
  }

  /** Private anonymous memory of {@code size} bytes, unmapped by {@link #close()}. */
  public static SlotMemory anonymous(long size, HugePages thp) {
    Mapping m = thp == HugePages.ADVISED ? Mapping.anonymousAligned(size, HUGE_PAGE) : Mapping.anonymous(size, false);
    return new SlotMemory(advise(m, thp), m, Optional.empty(), true);
  }

  /**
   * Private anonymous memory of {@code size} bytes owned by {@code owner} ({@link Vm#mapAnonymousAligned},
   * {@link Vm#mapAnonymous}): unmapped when the Vm closes, after its fd, even if this object is never closed.
   */
  public static SlotMemory anonymous(Vm owner, long size, HugePages thp) {
    Mapping m = thp == HugePages.ADVISED ? owner.mapAnonymousAligned(size, HUGE_PAGE) : owner.mapAnonymous(size, false);
    return new SlotMemory(advise(m, thp), m, Optional.empty(), false);
  }

  private static Mapping advise(Mapping m, HugePages thp) {
    m.madvise(0, m.length(), thp == HugePages.ADVISED ? Libc.MADV_HUGEPAGE : Libc.MADV_NOHUGEPAGE);
    return m;
  }

  /** A memfd named {@code name} (as /proc shows it) of {@code size} bytes, mapped twice (guest view, VMM view). */
  public static SlotMemory shmem(String name, long size) {
    Memfd fd = Memfd.create(name, size);
    try {
      Mapping guest = fd.map();
      return new SlotMemory(guest, fd.map(), Optional.of(fd), true);
    } catch (RuntimeException e) {
      fd.close();
      throw e;
    }
  }

  /**
   * A guest_memfd of {@code size} bytes (KVM_CREATE_GUEST_MEMFD with GUEST_MEMFD_FLAG_MMAP |
   * GUEST_MEMFD_FLAG_INIT_SHARED: shared memory the VMM fills through its mapping), mapped once for the VMM.
   * Throws {@link UnsupportedFeatureException} where the kernel lacks KVM_CAP_GUEST_MEMFD or either flag
   * (6.12 has neither flag; 6.18 and 7.3 have both).
   */
  public static SlotMemory guestMemfd(Vm vm, long size) {
    guestMemfdUnsupported(vm).ifPresent(reason -> {
      throw new UnsupportedFeatureException("unsupported: " + reason);
    });
    GuestMemfd g = vm.createGuestMemfd(size, GuestMemfd.FLAG_MMAP | GuestMemfd.FLAG_INIT_SHARED);
    Mapping view = g.map();
    return new SlotMemory(view, view, Optional.of(g), true);
  }

  /**
   * Why this VM's kernel cannot give {@link #guestMemfd} memory (no KVM_CAP_GUEST_MEMFD, or no
   * GUEST_MEMFD_FLAG_MMAP / INIT_SHARED in KVM_CAP_GUEST_MEMFD_FLAGS), or empty where it can. Without
   * INIT_SHARED the memory would start private: the guest's accesses would not see what the VMM writes
   * through the mapping, which is the whole point of a post-copy slot.
   */
  public static Optional<String> guestMemfdUnsupported(Vm vm) {
    if (vm.checkExtension(KvmCap.GUEST_MEMFD) <= 0) return Optional.of("KVM_CAP_GUEST_MEMFD not offered by this kernel");
    int offered = vm.checkExtension(KvmCap.GUEST_MEMFD_FLAGS);
    if ((offered & GuestMemfd.FLAG_MMAP) == 0) {
      return Optional.of("GUEST_MEMFD_FLAG_MMAP not offered by this kernel (KVM_CAP_GUEST_MEMFD_FLAGS " + offered + ")");
    }
    if ((offered & GuestMemfd.FLAG_INIT_SHARED) == 0) {
      return Optional.of("GUEST_MEMFD_FLAG_INIT_SHARED not offered by this kernel (KVM_CAP_GUEST_MEMFD_FLAGS " + offered
          + "): guest_memfd memory would start private, out of the VMM's mapping");
    }
    return Optional.empty();
  }

  /** As {@link #guestMemfdUnsupported(Vm)} for this machine's kernel, asked on a scratch VM. */
  public static Optional<String> guestMemfdUnsupported(Kvm kvm) {
    try (Vm vm = kvm.createVm(0, UapiProfile.UPSTREAM)) {
      return guestMemfdUnsupported(vm);
    }
  }

  /** What the memslot and userfaultfd cover. */
  public Mapping guestView() {
    return guestView;
  }

  /** Where the VMM writes contents (for shmem a second mapping of the memfd; otherwise {@link #guestView()}). */
  public Mapping vmmView() {
    return vmmView;
  }

  public long size() {
    return guestView.length();
  }

  /** The guest_memfd the slot is bound to, for {@link #guestMemfd} memory. */
  public Optional<GuestMemfd> guestMemfd() {
    return file.filter(GuestMemfd.class::isInstance).map(GuestMemfd.class::cast);
  }

  /**
   * A memslot over the whole guest view at {@code gpa} (KVM_SET_USER_MEMORY_REGION2; bound to the guest_memfd
   * at offset 0 with KVM_MEM_GUEST_MEMFD for guest_memfd memory). The Vm pins the view while the slot exists.
   */
  public Memslot addMemslot(Vm vm, int slot, long gpa) {
    return addMemslot(vm, slot, gpa, null);
  }

  /**
   * As {@link #addMemslot(Vm, int, long)}; with {@code userfault} (non-null) the slot is created with
   * KVM_MEM_USERFAULT and that bitmap (UserfaultUse = start: armed before the guest's first access). Throws
   * {@link UnsupportedFeatureException} without KVM_CAP_USERFAULT.
   */
  public Memslot addMemslot(Vm vm, int slot, long gpa, UserfaultBitmap userfault) {
    Optional<GuestMemfd> gmem = guestMemfd();
    MemoryRegion2 r = MemoryRegion2.of(slot, 0, gpa, guestView.length(), guestView.address());
    if (gmem.isPresent()) r = r.withGuestMemfd(gmem.get().fd(), 0);
    if (userfault != null) {
      if (userfault.pages() < guestView.length() / PAGE) {
        throw new IllegalArgumentException("bitmap covers " + userfault.pages() + " pages, slot has " + guestView.length() / PAGE);
      }
      r = r.withFlags(r.flags() | UapiProfile.KVM_MEM_USERFAULT).withUserfaultBitmap(userfault.address());
    }
    return vm.addMemslot(r, guestView, userfault);
  }

  /** Unmaps the views this object made (those no slot still pins) and closes its file. */
  @Override
  public void close() {
    if (ownsViews) {
      if (guestView.pinCount() == 0) guestView.close();
      if (vmmView != guestView && vmmView.pinCount() == 0) vmmView.close();
    }
    file.ifPresent(MemoryFile::close);
  }
}
