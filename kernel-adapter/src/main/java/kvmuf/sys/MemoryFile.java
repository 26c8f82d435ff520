package kvmuf.sys;

/**
 * Memory that is a file: a memfd or a guest_memfd. Both are sized at creation, mapped with MAP_SHARED,
 * and give pages back with a punched hole; this class does those three for both, so a fix to one is a fix
 * to the other. The fd is owned here and closed by {@link #close()}; mappings made by {@link #map()}
 * belong to the caller and stay valid after the fd is closed (the mapping holds its own reference).
 */
public abstract class MemoryFile implements AutoCloseable {
  private final OwnedFd fd;
  private final long size;

  protected MemoryFile(OwnedFd fd, long size) {
    this.fd = fd;
    this.size = size;
  }

  public int fd() {
    return fd.get();
  }

  public long size() {
    return size;
  }

  /** mmap(2) of the whole file, MAP_SHARED: writes through it land in the file's pages. */
  public Mapping map() {
    return Mapping.ofFd(fd.get(), size, 0);
  }

  /**
   * fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE): frees the pages of a range (the page-cache
   * analogue of MADV_DONTNEED on anonymous memory; for guest_memfd, the gmem "Invalidate").
   */
  public void punchHole(long offset, long length) {
    Libc.fallocate(fd.get(), Libc.FALLOC_FL_PUNCH_HOLE | Libc.FALLOC_FL_KEEP_SIZE, offset, length);
  }

  /** close(2) of the fd, once; later calls do nothing. */
  @Override
  public void close() {
    fd.close();
  }
}
