package kvmuf.sys;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A waiting thread's eventfd, so that it sleeps in the kernel until something it waits for happens instead of
 * re-checking after fixed pauses: other threads {@link #signal} it (a vCPU thread whose access finished, the
 * thread of a memslot update that returned), and {@link #await} also wakes when a second fd becomes readable
 * (the userfaultfd: a fault posted its message). One per waiting thread ({@link #ofThisThread}); it lives as
 * long as that thread.
 *
 * <p>Await never decides anything by itself: it returns when an event may have happened or the timeout
 * passed, and the caller re-reads the evidence either way.
 */
public final class Wakeup {
  private static final ThreadLocal<Wakeup> OF_THREAD = ThreadLocal.withInitial(Wakeup::new);

  private final int efd;
  /** Written by any thread: 8 bytes holding 1 (an eventfd write adds its value to the counter). */
  private final MemorySegment one;
  /** The waiting thread's own buffers: two struct pollfd, a struct timespec, 8 bytes for the drained counter. */
  private final MemorySegment pollfds;
  private final MemorySegment timespec;
  private final MemorySegment drained;

  private Wakeup() {
    efd = Libc.eventfd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
    Arena arena = Arena.ofAuto();
    one = arena.allocate(8, 8);
    one.set(JAVA_LONG, 0, 1L);
    pollfds = arena.allocate(16, 8);
    timespec = arena.allocate(16, 8);
    drained = arena.allocate(8, 8);
  }

  /** The calling thread's wakeup (made on first use). */
  public static Wakeup ofThisThread() {
    return OF_THREAD.get();
  }

  /** Wakes the thread waiting in {@link #await} (or makes its next await return at once). Any thread. */
  public void signal() {
    Libc.writeRaw(efd, one, 8); // cannot block (EFD_NONBLOCK); a full counter (2^64-2) still reads as signalled
  }

  /**
   * Sleeps until {@link #signal} was called (since the last await), {@code alsoReadable} (an fd, or -1) is
   * readable, or {@code nanos} passed (0: only looks). Returns whether an event fired; a signal is consumed.
   * Only the thread that owns this wakeup calls it.
   */
  public boolean await(long nanos, int alsoReadable) {
    pollfds.set(JAVA_INT, 0, efd);
    pollfds.set(JAVA_SHORT, 4, (short) Libc.POLLIN);
    pollfds.set(JAVA_SHORT, 6, (short) 0);
    pollfds.set(JAVA_INT, 8, alsoReadable);
    pollfds.set(JAVA_SHORT, 12, (short) Libc.POLLIN);
    pollfds.set(JAVA_SHORT, 14, (short) 0);
    timespec.set(JAVA_LONG, 0, nanos / 1_000_000_000L);
    timespec.set(JAVA_LONG, 8, nanos % 1_000_000_000L);
    long rc = Libc.ppollRaw(pollfds, alsoReadable >= 0 ? 2 : 1, timespec);
    if (rc <= 0) return rc == -Errno.EINTR.number();
    if ((pollfds.get(JAVA_SHORT, 6) & Libc.POLLIN) != 0) Libc.readRaw(efd, drained, 8); // resets the counter
    return true;
  }
}
