package kvmuf.gmem;

import kvmuf.sys.Mapping;
import kvmuf.sys.MemoryFile;
import kvmuf.sys.OwnedFd;

/**
 * A guest_memfd (KVM_CREATE_GUEST_MEMFD, issued by {@code Vm#createGuestMemfd}): guest memory that need not
 * be mapped into the VMM. Bound to a memslot with KVM_SET_USER_MEMORY_REGION2 (flag KVM_MEM_GUEST_MEMFD, fd
 * and offset). Kernels with KVM_CAP_GUEST_MEMFD_FLAGS (6.18+) accept {@link #FLAG_MMAP} so the VMM can map
 * and fill it. {@link #punchHole} and {@link #close()} are {@link MemoryFile}'s, as for a memfd.
 */
public final class GuestMemfd extends MemoryFile {
  /** GUEST_MEMFD_FLAG_MMAP: the fd can be mmap'd (shared memory only). */
  public static final long FLAG_MMAP = 1L << 0;
  /** GUEST_MEMFD_FLAG_INIT_SHARED: memory starts shared rather than private. */
  public static final long FLAG_INIT_SHARED = 1L << 1;

  private final long flags;

  public GuestMemfd(OwnedFd fd, long size, long flags) {
    super(fd, size);
    this.flags = flags;
  }

  public long flags() {
    return flags;
  }

  /**
   * mmap of the whole guest_memfd; refused unless it was created with GUEST_MEMFD_FLAG_MMAP. The caller
   * owns the mapping and must keep it while slots use it.
   */
  @Override
  public Mapping map() {
    if ((flags & FLAG_MMAP) == 0) throw new IllegalStateException("guest_memfd created without GUEST_MEMFD_FLAG_MMAP");
    return super.map();
  }
}
