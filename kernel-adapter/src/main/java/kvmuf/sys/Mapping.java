package kvmuf.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One mmap(2) region, owned by this object: {@link #close()} unmaps it. The region is exposed as a
 * {@link MemorySegment} bound to a shared {@link Arena} whose cleanup action is the munmap, so any Java
 * access after close fails with IllegalStateException instead of touching an unmapped (or reused) address.
 *
 * <p>Ownership rule for KVM: a memslot stores only the address. The Mapping must stay open for as long as
 * any memslot (or userfaultfd registration) points into it; {@code Vm} enforces this for the mappings it
 * creates or pins, by closing them only after the VM fd.
 *
 * <p>For huge-page alignment ({@link #anonymousAligned}) more is mapped than asked for; {@link #segment()}
 * is the aligned window, and close unmaps the whole reservation.
 */
public final class Mapping implements AutoCloseable {
  private final Arena arena;
  private final MemorySegment segment;
  private final long rawAddress;
  private final long rawLength;
  /** How many memslots (or other kernel objects) point into this mapping; close refuses while > 0. */
  private final java.util.concurrent.atomic.AtomicInteger pins = new java.util.concurrent.atomic.AtomicInteger();

  private Mapping(long rawAddress, long rawLength, long address, long length) {
    this.rawAddress = rawAddress;
    this.rawLength = rawLength;
    this.arena = Arena.ofShared();
    // The cleanup runs once, when the arena closes: the kernel mapping then goes away.
    this.segment =
        MemorySegment.ofAddress(address).reinterpret(length, arena, s -> Libc.munmap(rawAddress, rawLength));
  }

  /** Anonymous memory; {@code shared} gives MAP_SHARED (shmem-backed), otherwise MAP_PRIVATE. */
  public static Mapping anonymous(long length, boolean shared) {
    int flags = Libc.MAP_ANONYMOUS | (shared ? Libc.MAP_SHARED : Libc.MAP_PRIVATE) | Libc.MAP_NORESERVE;
    long a = Libc.mmap(0, length, Libc.PROT_READ | Libc.PROT_WRITE, flags, -1, 0);
    return new Mapping(a, length, a, length);
  }

  /**
   * Anonymous private memory whose start is aligned to {@code alignment} (e.g. 2 MiB, so a THP can back
   * the whole window; a huge stage-2 mapping needs the host virtual address and the gpa equally aligned).
   */
  public static Mapping anonymousAligned(long length, long alignment) {
    long raw = length + alignment;
    long a =
        Libc.mmap(0, raw, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_ANONYMOUS | Libc.MAP_PRIVATE | Libc.MAP_NORESERVE, -1, 0);
    long aligned = (a + alignment - 1) & -alignment;
    return new Mapping(a, raw, aligned, length);
  }

  /** A shared mapping of a file (memfd, guest_memfd, a vCPU's kvm_run page). */
  public static Mapping ofFd(int fd, long length, long offset) {
    long a = Libc.mmap(0, length, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fd, offset);
    return new Mapping(a, length, a, length);
  }

  public MemorySegment segment() {
    return segment;
  }

  public long address() {
    return segment.address();
  }

  public long length() {
    return segment.byteSize();
  }

  /** MADV_DONTNEED on a sub-range: drops the pages (anonymous: next touch is a missing fault). */
  public void dontNeed(long offset, long length) {
    Libc.madvise(address() + offset, length, Libc.MADV_DONTNEED);
  }

  /** MADV_HUGEPAGE on the whole window (needed when THP is in "madvise" mode). */
  public void adviseHugePages() {
    Libc.madvise(address(), length(), Libc.MADV_HUGEPAGE);
  }

  public void madvise(long offset, long length, int advice) {
    Libc.madvise(address() + offset, length, advice);
  }

  public boolean isOpen() {
    return arena.scope().isAlive();
  }

  /**
   * Records that a kernel object (a memslot) now holds this mapping's address. While pinned, {@link
   * #close()} throws: unmapping memory that a memslot still points at would make guest accesses fault
   * into nothing (or into whatever is mapped there next).
   */
  public void pin() {
    if (!isOpen()) throw new IllegalStateException(this + " is closed; cannot back a memslot");
    pins.incrementAndGet();
  }

  public void unpin() {
    if (pins.decrementAndGet() < 0) {
      pins.incrementAndGet();
      throw new IllegalStateException(this + " unpinned more often than pinned");
    }
  }

  public int pinCount() {
    return pins.get();
  }

  @Override
  public void close() {
    if (pins.get() > 0) {
      throw new IllegalStateException(
          this + " still backs " + pins.get() + " memslot(s); close (or delete the slots of) the Vm first");
    }
    if (arena.scope().isAlive()) arena.close();
  }

  @Override
  public String toString() {
    return "Mapping[0x" + Long.toHexString(address()) + "+0x" + Long.toHexString(length()) + "]";
  }
}
