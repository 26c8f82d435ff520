package kvmuf.kvm;

import kvmuf.sys.Mapping;

/**
 * One memslot of a {@link Vm} and the model actions that change it in place: each method is one
 * flags-only KVM_SET_USER_MEMORY_REGION2 (same slot, gpa, size and address; only flags and the bitmap word
 * change), the KVM_MR_FLAGS_ONLY path on which KVM Userfault's zap-on-enable and recover-on-disable run.
 * Method names follow the model's actions (EnableUserfault, DisableUserfault, EnableDirtyLog, ...).
 *
 * <p>The backing mapping and the bitmap stay pinned by the Vm while the slot points at them.
 */
public final class Memslot {
  private final Vm vm;
  private final Mapping backing;
  private MemoryRegion2 region;
  private UserfaultBitmap bitmap;

  Memslot(Vm vm, MemoryRegion2 region, Mapping backing) {
    this(vm, region, backing, null);
  }

  Memslot(Vm vm, MemoryRegion2 region, Mapping backing, UserfaultBitmap bitmap) {
    this.vm = vm;
    this.region = region;
    this.backing = backing;
    this.bitmap = bitmap;
  }

  public int slot() {
    return region.slot();
  }

  public int flags() {
    return region.flags();
  }

  public long guestPhysAddr() {
    return region.guestPhysAddr();
  }

  public long pages() {
    return region.memorySize() / 4096;
  }

  /** The guest-physical address of page {@code i} of the slot (gfn = base gfn + i). */
  public long gpaOf(long i) {
    if (i < 0 || i >= pages()) throw new IndexOutOfBoundsException("page " + i + " of slot " + slot());
    return region.guestPhysAddr() + i * 4096;
  }

  public Mapping backing() {
    return backing;
  }

  public MemoryRegion2 region() {
    return region;
  }

  /**
   * EnableUserfault: sets KVM_MEM_USERFAULT with {@code bitmap} (one bit per page of this slot). Throws
   * {@link UnsupportedFeatureException} on a kernel or profile without KVM_CAP_USERFAULT.
   */
  public void enableUserfault(UserfaultBitmap bitmap) {
    if (bitmap.pages() < pages()) {
      throw new IllegalArgumentException("bitmap covers " + bitmap.pages() + " pages, slot has " + pages());
    }
    update(region.withFlags(region.flags() | UapiProfile.KVM_MEM_USERFAULT).withUserfaultBitmap(bitmap.address()), bitmap);
  }

  /** DisableUserfault: clears KVM_MEM_USERFAULT and the bitmap word. */
  public void disableUserfault() {
    update(region.withFlags(region.flags() & ~UapiProfile.KVM_MEM_USERFAULT).withUserfaultBitmap(0), null);
  }

  /** EnableDirtyLog: sets KVM_MEM_LOG_DIRTY_PAGES. */
  public void enableDirtyLog() {
    update(region.withFlags(region.flags() | UapiProfile.KVM_MEM_LOG_DIRTY_PAGES), bitmap);
  }

  /** DisableDirtyLog: clears KVM_MEM_LOG_DIRTY_PAGES. */
  public void disableDirtyLog() {
    update(region.withFlags(region.flags() & ~UapiProfile.KVM_MEM_LOG_DIRTY_PAGES), bitmap);
  }

  /** KVM_GET_DIRTY_LOG for this slot. */
  public long[] dirtyLog() {
    return vm.getDirtyLog(slot(), pages());
  }

  /**
   * Moves the slot to {@code gpa} (KVM_SET_USER_MEMORY_REGION2 with a new guest_phys_addr, same memory and flags):
   * KVM invalidates the old slot, waits for its SRCU readers, zaps its mappings and activates it there. guest_memfd
   * slots cannot move (EINVAL).
   */
  public void move(long gpa) {
    update(region.withGuestPhysAddr(gpa), bitmap);
  }

  /** Deletes the slot (size 0) and unpins its memory. */
  public void delete() {
    vm.setUserMemoryRegion2(MemoryRegion2.of(slot(), 0, region.guestPhysAddr(), 0, 0), null, null);
  }

  private void update(MemoryRegion2 next, UserfaultBitmap nextBitmap) {
    vm.setUserMemoryRegion2(next, backing, nextBitmap);
    region = next;
    bitmap = nextBitmap;
  }
}
