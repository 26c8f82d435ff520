package kvmuf.uffd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import kvmuf.sys.Libc;

/**
 * A thread that reads 8 bytes at an address, as a vCPU or guest would, and may block in a userfaultfd
 * fault. It reads through libc memcpy, so while blocked it is in native code and cannot stall JVM
 * safepoints (see Libc#memcpy). Daemon: a bug cannot keep the test JVM alive.
 */
final class Toucher implements AutoCloseable {
  final CompletableFuture<Long> value = new CompletableFuture<>();
  private final CountDownLatch started = new CountDownLatch(1);
  private volatile int tid;
  private final Thread thread;
  private final Arena arena = Arena.ofShared();

  Toucher(long address) {
    MemorySegment buf = arena.allocate(8, 8);
    thread =
        new Thread(
            () -> {
              tid = Libc.gettid();
              started.countDown();
              try {
                Libc.memcpy(buf.address(), address, 8);
                value.complete(buf.get(ValueLayout.JAVA_LONG, 0));
              } catch (Throwable t) {
                value.completeExceptionally(t);
              }
            },
            "toucher");
    thread.setDaemon(true);
    thread.start();
  }

  int tid() throws InterruptedException {
    if (!started.await(5, TimeUnit.SECONDS)) throw new IllegalStateException("toucher did not start");
    return tid;
  }

  /** True if the thread is still blocked after waiting {@code millis} (a bounded wait). */
  boolean stillBlockedAfter(long millis) throws InterruptedException {
    Thread.sleep(millis);
    return !value.isDone();
  }

  long awaitValue() throws Exception {
    return value.get(10, TimeUnit.SECONDS);
  }

  /** Call after closing the userfaultfd (which releases a blocked read); bounded join. */
  @Override
  public void close() throws InterruptedException {
    thread.join(10_000);
    if (!thread.isAlive()) arena.close();
  }
}
