package kvmuf.sys;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A file descriptor this process owns and closes exactly once. Every handle of the adapter (Kvm, Vm, Vcpu,
 * Userfaultfd, GuestMemfd, KvmStats) holds one; closing twice is a no-op rather than closing a number the
 * process may already have reused for another file.
 */
public final class OwnedFd implements AutoCloseable {
  private final int fd;
  private final String what;
  private final AtomicBoolean closed = new AtomicBoolean();

  public OwnedFd(int fd, String what) {
    if (fd < 0) throw new IllegalArgumentException("bad fd " + fd + " for " + what);
    this.fd = fd;
    this.what = what;
  }

  /** The raw number; throws once closed so that a stale handle cannot issue ioctls on a reused number. */
  public int get() {
    if (closed.get()) throw new IllegalStateException(what + " fd " + fd + " is closed");
    return fd;
  }

  public boolean isClosed() {
    return closed.get();
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) Libc.close(fd);
  }

  @Override
  public String toString() {
    return what + "(fd=" + fd + (closed.get() ? ", closed" : "") + ")";
  }
}
