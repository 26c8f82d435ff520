package kvmuf.bench;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import kvmuf.sys.Errno;
import kvmuf.sys.Libc;
import kvmuf.sys.SyscallException;
import kvmuf.uapi.UffdUapi;
import kvmuf.uffd.UffdEvent;
import kvmuf.uffd.UffdFeature;
import kvmuf.uffd.Userfaultfd;

/**
 * The userfaultfd side of the benchmark: the uffds (one over the region, or one per chunk) and their reader
 * threads, each doing what demand_paging_test's handler does: poll, read one message, resolve the page with
 * UFFDIO_COPY (MISSING) or UFFDIO_CONTINUE (MINOR), which wakes the faulting thread.
 *
 * <p>Readers work on preallocated argument structs and call Libc's raw ioctl/read, so a fault costs the same
 * system calls as in C plus the FFM downcall overhead, not an allocation per call (Userfaultfd#copy and
 * #readEvent allocate an Arena each time, which is right for tests, not for a benchmark).
 *
 * <p>Accounting: every event carries the faulting thread's id (UFFD_FEATURE_THREAD_ID); the server maps it to
 * the vCPU index and counts, per vCPU, the faults it resolved, and checks that the address lies in that vCPU's
 * chunk. Each reader counts what it resolved.
 */
final class FaultServer implements AutoCloseable {
  /** How long a reader's poll waits before it looks at the stop flag; the vCPUs' timing never includes it. */
  private static final int POLL_MILLIS = 20;

  private final Region region;
  private final List<Userfaultfd> uffds = new ArrayList<>();
  private final List<Reader> readers = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private Map<Integer, Integer> vcpuByTid = Map.of();
  private final AtomicLongArray faultsByVcpu;
  private final AtomicLong exists = new AtomicLong();
  private final AtomicLong wrongChunk = new AtomicLong();
  private final AtomicLong unknownThread = new AtomicLong();
  private final AtomicLong emptyWakeups = new AtomicLong();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private volatile boolean stop;

  /**
   * Opens the uffds and registers the region: one uffd over all of it ({@code perChunk} false) or one per chunk.
   * Readers start in {@link #start}.
   */
  FaultServer(Region region, boolean perChunk, int readersPerUffd) {
    this.region = region;
    this.faultsByVcpu = new AtomicLongArray(region.chunks());
    long features = UffdFeature.THREAD_ID.mask();
    try {
      int n = perChunk ? region.chunks() : 1;
      long len = perChunk ? region.chunk() : region.length();
      for (int i = 0; i < n; i++) {
        Userfaultfd u = Userfaultfd.open(features);
        uffds.add(u);
        u.register(region.view().address() + i * len, len, region.registerMode());
        for (int r = 0; r < readersPerUffd; r++) readers.add(new Reader(u, readers.size()));
      }
    } catch (RuntimeException e) {
      closeUffds();
      throw e;
    }
  }

  /** The uffd whose range covers {@code address} (for kvm-uf+uffd, where the vCPU thread resolves). */
  Userfaultfd uffdFor(long address) {
    if (uffds.size() == 1) return uffds.get(0);
    return uffds.get(region.chunkOf(address));
  }

  /** Starts the readers; {@code vcpuByTid} maps each vCPU thread's kernel tid to its index. */
  void start(Map<Integer, Integer> vcpuByTid) {
    this.vcpuByTid = Map.copyOf(vcpuByTid);
    for (Reader r : readers) {
      Thread t = new Thread(r, "uffd-reader-" + r.index);
      t.setDaemon(true); // a hung kernel call must not keep the JVM alive
      threads.add(t);
      t.start();
    }
  }

  boolean failed() {
    return failure.get() != null;
  }

  Throwable failure() {
    return failure.get();
  }

  /** Stops the readers (they see the flag within one poll timeout) and waits for them. */
  void stopAndJoin() throws InterruptedException {
    stop = true;
    for (Thread t : threads) t.join(10_000);
  }

  long faults(int vcpu) {
    return faultsByVcpu.get(vcpu);
  }

  List<Long> perReader() {
    return readers.stream().map(r -> r.served).toList();
  }

  long exists() {
    return exists.get();
  }

  long wrongChunk() {
    return wrongChunk.get();
  }

  long unknownThread() {
    return unknownThread.get();
  }

  long emptyWakeups() {
    return emptyWakeups.get();
  }

  /**
   * Closing a uffd ends its registration and wakes every thread blocked on it (their faults then proceed as if
   * unregistered), so this also releases vCPUs if a reader failed.
   */
  void closeUffds() {
    for (Userfaultfd u : uffds) {
      try {
        u.close();
      } catch (RuntimeException ignored) {
        // already closed
      }
    }
  }

  @Override
  public void close() {
    stop = true;
    closeUffds();
  }

  /** One reader thread; all of its buffers are its own. */
  private final class Reader implements Runnable {
    final Userfaultfd uffd;
    final int index;
    volatile long served;

    Reader(Userfaultfd uffd, int index) {
      this.uffd = uffd;
      this.index = index;
    }

    @Override
    public void run() {
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment msg = arena.allocate(UffdUapi.MSG);
        MemorySegment arg = arena.allocate(UffdUapi.COPY); // the largest of COPY and CONTINUE
        MemorySegment range = arena.allocate(UffdUapi.RANGE);
        // The source page for UFFDIO_COPY: zeros, so the toucher's +1 leaves exactly 1.
        MemorySegment src = arena.allocate(Sizes.PAGE, Sizes.PAGE);
        int fd = uffd.fd();
        boolean copy = region.registerMode() == Userfaultfd.REGISTER_MODE_MISSING;
        long served = 0;
        while (true) {
          int revents = Libc.pollOne(fd, Libc.POLLIN, POLL_MILLIS);
          if ((revents & Libc.POLLIN) == 0) {
            if (stop) break;
            continue;
          }
          long rc = Libc.readRaw(fd, msg, msg.byteSize());
          if (rc == -Errno.EAGAIN.number()) {
            emptyWakeups.incrementAndGet();
            continue;
          }
          Libc.check(rc, "read(userfaultfd)", () -> "fd=" + fd);
          if (Byte.toUnsignedInt(msg.get(JAVA_BYTE, 0)) != UffdEvent.UFFD_EVENT_PAGEFAULT) continue;
          long page = msg.get(JAVA_LONG, 16) & ~(Sizes.PAGE - 1);
          int tid = msg.get(JAVA_INT, 24);
          if (resolve(fd, copy, page, arg, src, range)) {
            served++;
            this.served = served;
            account(page, tid);
          }
        }
      } catch (Throwable t) {
        failure.compareAndSet(null, t);
      }
    }

    /** true if this call installed the page; false on EEXIST (already there: wake the waiter ourselves). */
    private boolean resolve(int fd, boolean copy, long page, MemorySegment arg, MemorySegment src, MemorySegment range) {
      long rc;
      while (true) {
        if (copy) {
          arg.set(JAVA_LONG, 0, page); // dst
          arg.set(JAVA_LONG, 8, src.address()); // src
          arg.set(JAVA_LONG, 16, Sizes.PAGE); // len
          arg.set(JAVA_LONG, 24, 0); // mode 0: wake the faulting thread
          arg.set(JAVA_LONG, 32, 0); // copy (out)
          rc = Libc.ioctlRaw(fd, UffdUapi.UFFDIO_COPY, arg);
        } else {
          arg.set(JAVA_LONG, 0, page); // range.start
          arg.set(JAVA_LONG, 8, Sizes.PAGE); // range.len
          arg.set(JAVA_LONG, 16, 0); // mode 0: wake the faulting thread
          arg.set(JAVA_LONG, 24, 0); // mapped (out)
          rc = Libc.ioctlRaw(fd, UffdUapi.UFFDIO_CONTINUE, arg);
        }
        if (rc >= 0) return true;
        int errno = (int) -rc;
        if (errno == Errno.EAGAIN.number()) continue; // the mm changed under the call: retry, as the selftest does
        if (errno == Errno.EEXIST.number()) {
          // Someone installed it first: the kernel woke nobody (R2), so wake the faulting thread here.
          exists.incrementAndGet();
          range.set(JAVA_LONG, 0, page);
          range.set(JAVA_LONG, 8, Sizes.PAGE);
          Libc.check(Libc.ioctlRaw(fd, UffdUapi.UFFDIO_WAKE, range), "UFFDIO_WAKE", () -> "page=0x" + Long.toHexString(page));
          return false;
        }
        throw new SyscallException(copy ? "UFFDIO_COPY" : "UFFDIO_CONTINUE", errno, "page=0x" + Long.toHexString(page));
      }
    }

    private void account(long page, int tid) {
      Integer vcpu = vcpuByTid.get(tid);
      if (vcpu == null) {
        unknownThread.incrementAndGet();
        return;
      }
      faultsByVcpu.incrementAndGet(vcpu);
      if (region.chunkOf(page) != vcpu) wrongChunk.incrementAndGet();
    }
  }
}
