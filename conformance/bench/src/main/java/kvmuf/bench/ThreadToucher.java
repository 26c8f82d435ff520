package kvmuf.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import kvmuf.sys.Libc;

/**
 * --target threads: host threads instead of vCPUs. Thread i adds 1 to the first word of each page of its
 * chunk, as the guest agent's touch loop does. The load and the store go through libc memcpy, so a thread
 * blocked in a userfaultfd fault is in native code and cannot hold up JVM safepoints (see Libc#memcpy); the
 * load is the access that faults (a read fault: MISSING or MINOR), the store then hits a present page.
 */
final class ThreadToucher implements Toucher {
  private final Region region;

  ThreadToucher(Region region) {
    this.region = region;
  }

  @Override
  public void prepare(int i) {}

  @Override
  public long touch(int i) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment word = a.allocate(ValueLayout.JAVA_INT);
      long base = region.view().address() + i * region.chunk();
      long pages = region.pagesPerChunk();
      for (long p = 0; p < pages; p++) {
        long addr = base + p * Sizes.PAGE;
        Libc.memcpy(word.address(), addr, 4);
        word.set(ValueLayout.JAVA_INT, 0, word.get(ValueLayout.JAVA_INT, 0) + 1);
        Libc.memcpy(addr, word.address(), 4);
      }
      return pages;
    }
  }

  @Override
  public long selfResolved(int i) {
    return 0;
  }

  @Override
  public void close() {}
}
