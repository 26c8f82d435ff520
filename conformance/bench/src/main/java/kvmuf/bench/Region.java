package kvmuf.bench;

import java.lang.foreign.ValueLayout;
import kvmuf.kvm.SlotMemory;
import kvmuf.sys.Mapping;
import kvmuf.uffd.Userfaultfd;

/**
 * The memory the vCPUs (or threads) touch: {@code chunks} consecutive chunks of {@code chunk} bytes, chunk i
 * belonging to vCPU i. {@link #view()} is the mapping the toucher uses (and the memslot's backing); for shmem
 * a second mapping of the same memfd ({@code alias}) is where the page cache is filled, so the view's faults
 * are MINOR faults, as in demand_paging_test's alias for -u MINOR. The memory is the adapter's {@link
 * SlotMemory}, built as conformance builds its slots.
 */
final class Region implements AutoCloseable {
  /** MADV_POPULATE_WRITE (Linux 5.14): fault every page in writable, without touching it from Java. */
  static final int MADV_POPULATE_WRITE = 23;

  private final Backing backing;
  private final long chunk;
  private final int chunks;
  private final SlotMemory memory;
  private final Mapping view;

  private Region(Backing backing, long chunk, int chunks, SlotMemory memory) {
    this.backing = backing;
    this.chunk = chunk;
    this.chunks = chunks;
    this.memory = memory;
    this.view = memory.guestView();
  }

  static Region create(Backing backing, long chunk, int chunks) {
    long len = chunk * chunks;
    // Anonymous: the series ran with THP off, so every fault is one 4 KiB page, here as there.
    SlotMemory m =
        backing == Backing.ANON ? SlotMemory.anonymous(len, SlotMemory.HugePages.OFF) : SlotMemory.shmem("kvmuf-bench", len);
    return new Region(backing, chunk, chunks, m);
  }

  Mapping view() {
    return view;
  }

  long chunk() {
    return chunk;
  }

  int chunks() {
    return chunks;
  }

  long length() {
    return chunk * chunks;
  }

  long pagesPerChunk() {
    return chunk / Sizes.PAGE;
  }

  /** The chunk an address of the view belongs to, or -1. */
  int chunkOf(long address) {
    long off = address - view.address();
    return off < 0 || off >= length() ? -1 : (int) (off / chunk);
  }

  /**
   * Readies the memory for a mode. none: every page present in the view's page tables (anon: populated; shmem:
   * page cache filled, then the view populated). Fault modes: anon stays empty (MISSING faults); shmem gets
   * its page cache through the alias only, so the view's faults are MINOR (the series' "preallocated" shmem).
   */
  void prepare(Mode mode) {
    if (backing == Backing.SHMEM) memory.vmmView().segment().fill((byte) 0); // the alias: page cache only
    if (mode == Mode.NONE) view.madvise(0, length(), MADV_POPULATE_WRITE);
  }

  long registerMode() {
    return backing == Backing.ANON ? Userfaultfd.REGISTER_MODE_MISSING : Userfaultfd.REGISTER_MODE_MINOR;
  }

  /**
   * Counts marker words after the run (call only once no userfaultfd is registered: a Java read of a page still
   * missing under a uffd would block). Each touch adds 1 to the first word of its page, which starts at 0.
   * Returns {once, untouched, more}.
   */
  long[] verify() {
    long once = 0, none = 0, more = 0;
    var seg = view.segment();
    for (long off = 0; off < length(); off += Sizes.PAGE) {
      int v = seg.get(ValueLayout.JAVA_INT, off);
      if (v == 1) once++;
      else if (v == 0) none++;
      else more++;
    }
    return new long[] {once, none, more};
  }

  @Override
  public void close() {
    memory.close();
  }
}
