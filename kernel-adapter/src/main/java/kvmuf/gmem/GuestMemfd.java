package kvmuf.gmem;

import kvmuf.sys.Libc;
import kvmuf.sys.Mapping;
import kvmuf.sys.OwnedFd;

/**
 * A guest_memfd (KVM_CREATE_GUEST_MEMFD): guest memory that need not be mapped into the VMM. Bound to a
 * memslot with KVM_SET_USER_MEMORY_REGION2 (flag KVM_MEM_GUEST_MEMFD, fd and offset). Kernels with
 * KVM_CAP_GUEST_MEMFD_FLAGS (6.18+) accept {@link #FLAG_MMAP} so the VMM can map and fill it.
 */
public final class GuestMemfd implements AutoCloseable {
  /** GUEST_MEMFD_FLAG_MMAP: the fd can be mmap'd (shared memory only). */
  public static final long FLAG_MMAP = 1L << 0;
  /** GUEST_MEMFD_FLAG_INIT_SHARED: memory starts shared rather than private. */
  public static final long FLAG_INIT_SHARED = 1L << 1;

  private final OwnedFd fd;
  private final long size;
  private final long flags;

  public GuestMemfd(OwnedFd fd, long size, long flags) {
    this.fd = fd;
    this.size = size;
    this.flags = flags;
  }

  public int fd() {
    return fd.get();
  }

  public long size() {
    return size;
  }

  public long flags() {
    return flags;
  }

  /** mmap of the whole guest_memfd; the caller owns the mapping and must keep it while slots use it. */
  public Mapping map() {
    if ((flags & FLAG_MMAP) == 0) throw new IllegalStateException("guest_memfd created without GUEST_MEMFD_FLAG_MMAP");
    return Mapping.ofFd(fd.get(), size, 0);
  }

  /** fallocate(PUNCH_HOLE): drops the backing pages of a range (the gmem "Invalidate"). */
  public void punchHole(long offset, long length) {
    Libc.fallocate(fd.get(), Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, offset, length);
  }

  @Override
  public void close() {
    fd.close();
  }
}
