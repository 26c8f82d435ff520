package kvmuf.sys;

/**
 * A memfd (memfd_create(2)): shmem-backed memory with a file descriptor, so it can be mapped twice. The
 * kit uses it for userfaultfd MINOR faults: the page cache holds the contents, one mapping is registered
 * for MINOR faults (the guest's view), the other is where the VMM writes before UFFDIO_CONTINUE.
 */
public final class Memfd implements AutoCloseable {
  private final OwnedFd fd;
  private final long size;

  private Memfd(OwnedFd fd, long size) {
    this.fd = fd;
    this.size = size;
  }

  public static Memfd create(String name, long size) {
    OwnedFd fd = new OwnedFd(Libc.memfdCreate(name, Libc.MFD_CLOEXEC), "memfd " + name);
    try {
      Libc.ftruncate(fd.get(), size);
    } catch (RuntimeException e) {
      fd.close();
      throw e;
    }
    return new Memfd(fd, size);
  }

  public int fd() {
    return fd.get();
  }

  public long size() {
    return size;
  }

  /** A MAP_SHARED view of the whole file; owned by the caller, independent of this fd's lifetime. */
  public Mapping map() {
    return Mapping.ofFd(fd.get(), size, 0);
  }

  /** Frees the page-cache pages of a range (the shmem analogue of MADV_DONTNEED on anon memory). */
  public void punchHole(long offset, long length) {
    Libc.fallocate(fd.get(), Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, offset, length);
  }

  @Override
  public void close() {
    fd.close();
  }
}
