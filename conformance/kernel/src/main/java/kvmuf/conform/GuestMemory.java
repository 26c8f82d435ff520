package kvmuf.conform;

import java.lang.foreign.ValueLayout;
import kvmuf.kvm.Memslot;
import kvmuf.kvm.SlotMemory;
import kvmuf.kvm.UserfaultBitmap;
import kvmuf.kvm.Vm;
import kvmuf.model.Config.SlotKind;
import kvmuf.sys.Mapping;

/**
 * The host memory behind the target's memslot (the deterministic target's and the concurrent mode's), built by the adapter's {@link SlotMemory}. {@code guestView}
 * is what the memslot (and userfaultfd) covers; {@code vmmView} is where the VMM writes contents before
 * UFFDIO_CONTINUE (a second mapping of the same memfd for shmem; the same mapping otherwise).
 *
 * <ul>
 *   <li>anon: private anonymous memory, 2 MiB aligned, MADV_HUGEPAGE (THP-capable), owned by the Vm;
 *   <li>shmem: a memfd mapped twice (the page cache holds contents; the guest's view faults MINOR);
 *   <li>gmem: a guest_memfd created with GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED, mapped once
 *       for the VMM's writes (a fetched page is written through that mapping: Install and FetchInstall with
 *       UffdMode = none); the slot is bound to the fd (KVM_MEM_GUEST_MEMFD), and flags-only updates keep
 *       that binding. Where the kernel lacks KVM_CAP_GUEST_MEMFD or either flag (6.12), creating it is
 *       unsupported with the reason.
 * </ul>
 */
public final class GuestMemory implements AutoCloseable {
  static final long PAGE = SlotMemory.PAGE;

  private final SlotKind kind;
  private final SlotMemory memory;
  private final Mapping guestView;
  private final Mapping vmmView;

  private GuestMemory(SlotKind kind, SlotMemory memory) {
    this.kind = kind;
    this.memory = memory;
    this.guestView = memory.guestView();
    this.vmmView = memory.vmmView();
  }

  public static GuestMemory create(Vm vm, SlotKind kind, long pages) {
    long size = pages * PAGE;
    return new GuestMemory(
        kind,
        switch (kind) {
          case ANON -> SlotMemory.anonymous(vm, size, SlotMemory.HugePages.ADVISED);
          case SHMEM -> SlotMemory.shmem("kvmuf-conform", size);
          case GMEM -> SlotMemory.guestMemfd(vm, size);
          case GMEM_PRIVATE -> throw new IllegalArgumentException(
              "private guest_memfd memory is not set up by this target (KernelTarget.unsupportedConfig)");
        });
  }

  /**
   * Creates the memslot over this memory (bound to the guest_memfd for gmem); with {@code userfault}
   * (non-null) created with KVM_MEM_USERFAULT and that bitmap (UserfaultUse = start).
   */
  public Memslot addMemslot(Vm vm, int slot, long gpa, UserfaultBitmap userfault) {
    return memory.addMemslot(vm, slot, gpa, userfault);
  }

  SlotKind kind() {
    return kind;
  }

  public Mapping guestView() {
    return guestView;
  }

  public long hva(int gfn) {
    return guestView.address() + gfn * PAGE;
  }

  /** Whether a host address lies in the guest's view; the gfn it belongs to. */
  public int gfnOf(long hva) {
    long off = hva - guestView.address();
    return off < 0 || off >= guestView.length() ? -1 : (int) (off / PAGE);
  }

  /** Writes zeros over the whole slot through the VMM's view: every page gets a host backing page. */
  void prefill() {
    vmmView.segment().fill((byte) 0);
  }

  /** The 32-bit word at {@code offset} in gfn's page, read through the VMM's view (the page must be present). */
  int readWord(int gfn, long offset) {
    return vmmView.segment().get(ValueLayout.JAVA_INT, gfn * PAGE + offset);
  }

  /** Writes gfn's fetched contents through the VMM's view (shmem: into the page cache, not mapped for the guest). */
  public void writeFetched(int gfn) {
    var page = vmmView.segment().asSlice(gfn * PAGE, PAGE);
    for (long off = 0; off < PAGE; off += 4) page.set(ValueLayout.JAVA_INT, off, Contents.fetched(gfn));
  }

  /**
   * The model's Invalidate: MADV_DONTNEED over gfn's page of the guest's view (guest_memfd: a punch hole);
   * the mmu notifier (guest_memfd: its invalidation) zaps KVM's mapping of it. Returns the call's name.
   */
  public String invalidate(int gfn) {
    if (memory.guestMemfd().isPresent()) {
      memory.guestMemfd().get().punchHole(gfn * PAGE, PAGE);
      return "fallocate(PUNCH_HOLE)";
    }
    guestView.dontNeed(gfn * PAGE, PAGE);
    return "madvise(MADV_DONTNEED)";
  }

  /** The call {@link #invalidate} makes. */
  String invalidateCall() {
    return memory.guestMemfd().isPresent() ? "fallocate(PUNCH_HOLE)" : "madvise(MADV_DONTNEED)";
  }

  /** Unmaps what the Vm does not own; call after the Vm is closed (the memslot no longer points here). */
  @Override
  public void close() {
    memory.close();
  }
}
