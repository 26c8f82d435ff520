package kvmuf.sys;

/**
 * A memfd (memfd_create(2)): shmem-backed memory with a file descriptor, so it can be mapped twice. The
 * kit uses it for userfaultfd MINOR faults: the page cache holds the contents, one mapping is registered
 * for MINOR faults (the guest's view), the other is where the VMM writes before UFFDIO_CONTINUE.
 * {@link #map()}, {@link #punchHole} and {@link #close()} are {@link MemoryFile}'s.
 */
public final class Memfd extends MemoryFile {
  private Memfd(OwnedFd fd, long size) {
    super(fd, size);
  }

  /** memfd_create(name, MFD_CLOEXEC), then ftruncate(2) to {@code size}. */
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
}
