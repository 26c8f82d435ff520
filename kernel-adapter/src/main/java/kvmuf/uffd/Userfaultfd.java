package kvmuf.uffd;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Optional;
import kvmuf.sys.Errno;
import kvmuf.sys.Libc;
import kvmuf.sys.OwnedFd;
import kvmuf.sys.SyscallException;
import kvmuf.uapi.UffdUapi;
import kvmuf.x86.Syscalls;

/**
 * A userfaultfd after the UFFDIO_API handshake: register ranges, resolve faults (COPY, ZEROPAGE, CONTINUE),
 * wake waiters, read fault events.
 *
 * <p>The fd is opened O_CLOEXEC|O_NONBLOCK: reads never block, {@link #readEvent(Duration)} waits with
 * poll(2) and a timeout. It is not opened with UFFD_USER_MODE_ONLY, because the faults the kit cares
 * about are KVM's (kernel-mode GUP on behalf of a vCPU).
 *
 * <p>Closing the fd wakes every thread blocked on it and lets its fault proceed as if unregistered (a
 * missing anonymous page becomes a zero page): tests close the fd to release a thread they gave up on.
 * The caller must keep registered memory mapped while it is registered (closing or UFFDIO_UNREGISTER ends
 * the registration).
 */
public final class Userfaultfd implements AutoCloseable {
  public static final long UFFD_API = 0xAA;
  public static final String DEVICE = "/dev/userfaultfd";
  public static final long REGISTER_MODE_MISSING = 1L << 0;
  public static final long REGISTER_MODE_WP = 1L << 1;
  public static final long REGISTER_MODE_MINOR = 1L << 2;
  public static final long COPY_MODE_DONTWAKE = 1L << 0;
  public static final long COPY_MODE_WP = 1L << 1;
  public static final long ZEROPAGE_MODE_DONTWAKE = 1L << 0;
  public static final long CONTINUE_MODE_DONTWAKE = 1L << 0;
  public static final long WRITEPROTECT_MODE_WP = 1L << 0;
  public static final long WRITEPROTECT_MODE_DONTWAKE = 1L << 1;

  /** How to obtain the fd. */
  public enum Source {
    /** userfaultfd(2), syscall 323 on x86_64. */
    SYSCALL,
    /** open("/dev/userfaultfd") then USERFAULTFD_IOC_NEW (Linux 6.1+; access controlled by file mode). */
    DEVICE
  }

  private final OwnedFd fd;
  private final long requested;
  private final long supported;
  private final long ioctls;

  private Userfaultfd(OwnedFd fd, long requested, long supported, long ioctls) {
    this.fd = fd;
    this.requested = requested;
    this.supported = supported;
    this.ioctls = ioctls;
  }

  /** Opens through the syscall and enables {@code features} (a UffdFeature mask). */
  public static Userfaultfd open(long features) {
    return open(Source.SYSCALL, features);
  }

  /**
   * Opens a userfaultfd and performs UFFDIO_API requesting {@code features}. Throws SyscallException if the
   * kernel refuses (EINVAL when a requested feature is not supported: ask {@link #supportedFeatures()}).
   */
  public static Userfaultfd open(Source source, long features) {
    int flags = Libc.O_CLOEXEC | Libc.O_NONBLOCK;
    OwnedFd fd;
    if (source == Source.SYSCALL) {
      long rc = Libc.syscallRaw(Syscalls.USERFAULTFD, flags);
      fd = new OwnedFd((int) Libc.check(rc, "userfaultfd", () -> "flags=0x" + Integer.toHexString(flags)), "userfaultfd");
    } else {
      try (OwnedFd dev = new OwnedFd(Libc.open(DEVICE, Libc.O_RDWR | Libc.O_CLOEXEC), DEVICE)) {
        long rc = Libc.ioctl(dev.get(), UffdUapi.USERFAULTFD_IOC_NEW, flags, "USERFAULTFD_IOC_NEW");
        fd = new OwnedFd((int) rc, "userfaultfd");
      }
    }
    try (Arena a = Arena.ofConfined()) {
      MemorySegment api = a.allocate(UffdUapi.API);
      api.set(JAVA_LONG, 0, UFFD_API);
      api.set(JAVA_LONG, 8, features);
      Libc.ioctl(fd.get(), UffdUapi.UFFDIO_API, api, "UFFDIO_API", () -> "features=" + UffdFeature.names(features));
      // The kernel answers with every feature it supports (not only the requested ones) and the ioctls.
      return new Userfaultfd(fd, features, api.get(JAVA_LONG, 8), api.get(JAVA_LONG, 16));
    } catch (RuntimeException e) {
      fd.close();
      throw e;
    }
  }

  /**
   * The feature set this kernel supports: a throwaway fd handshaken with features 0 (UFFDIO_API may be done
   * once per fd, so a probe cannot reuse the fd it asked on).
   */
  public static long supportedFeatures() {
    try (Userfaultfd u = open(0)) {
      return u.supported;
    }
  }

  public int fd() {
    return fd.get();
  }

  /** The features this fd was opened with (what the handler gets, e.g. thread ids). */
  public long enabledFeatures() {
    return requested;
  }

  /** The features the kernel reported as supported in the UFFDIO_API answer. */
  public long kernelFeatures() {
    return supported;
  }

  /** The ioctl bitmask the UFFDIO_API answer reported (bit n set: ioctl nr n is available). */
  public long apiIoctls() {
    return ioctls;
  }

  /**
   * UFFDIO_REGISTER of [start, start+len) with a mode mask (REGISTER_MODE_MISSING / WP / MINOR). Returns the
   * ioctls the kernel allows on the range (bit _UFFDIO_COPY = 3, ...).
   */
  public long register(long start, long len, long mode) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment r = a.allocate(UffdUapi.REGISTER);
      r.set(JAVA_LONG, 0, start);
      r.set(JAVA_LONG, 8, len);
      r.set(JAVA_LONG, 16, mode);
      Libc.ioctl(fd.get(), UffdUapi.UFFDIO_REGISTER, r, "UFFDIO_REGISTER", () -> range(start, len) + ", mode=" + mode);
      return r.get(JAVA_LONG, 24);
    }
  }

  /** UFFDIO_UNREGISTER. */
  public void unregister(long start, long len) {
    rangeIoctl(UffdUapi.UFFDIO_UNREGISTER, "UFFDIO_UNREGISTER", start, len);
  }

  /** UFFDIO_WAKE: wakes threads waiting on faults in the range (needed after DONTWAKE or EEXIST). */
  public void wake(long start, long len) {
    rangeIoctl(UffdUapi.UFFDIO_WAKE, "UFFDIO_WAKE", start, len);
  }

  private void rangeIoctl(long req, String name, long start, long len) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment r = a.allocate(UffdUapi.RANGE);
      r.set(JAVA_LONG, 0, start);
      r.set(JAVA_LONG, 8, len);
      Libc.ioctl(fd.get(), req, r, name, () -> range(start, len));
    }
  }

  /**
   * Memory: {@code src} must be readable for {@code len} bytes for the duration of the call (the kernel
   * copies from it, then forgets it); {@code dst} must lie in a range registered on this fd.
   *
   * <p>UFFDIO_COPY of {@code len} bytes from {@code src} to the registered {@code dst}: installs the pages and,
   * unless {@code dontWake}, wakes the faulting threads. EEXIST and EAGAIN are results.
   */
  public MfillResult copy(long dst, long src, long len, boolean dontWake) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment c = a.allocate(UffdUapi.COPY);
      c.set(JAVA_LONG, 0, dst);
      c.set(JAVA_LONG, 8, src);
      c.set(JAVA_LONG, 16, len);
      c.set(JAVA_LONG, 24, dontWake ? COPY_MODE_DONTWAKE : 0);
      long rc = Libc.ioctlRaw(fd.get(), UffdUapi.UFFDIO_COPY, c);
      return mfill(rc, c.get(JAVA_LONG, 32), "UFFDIO_COPY", () -> "dst=0x" + Long.toHexString(dst) + ", src=0x"
          + Long.toHexString(src) + ", len=" + len + ", dontwake=" + dontWake);
    }
  }

  /** UFFDIO_ZEROPAGE: maps zero pages over a MISSING-registered range. */
  public MfillResult zeropage(long start, long len, boolean dontWake) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment z = a.allocate(UffdUapi.ZEROPAGE);
      z.set(JAVA_LONG, 0, start);
      z.set(JAVA_LONG, 8, len);
      z.set(JAVA_LONG, 16, dontWake ? ZEROPAGE_MODE_DONTWAKE : 0);
      long rc = Libc.ioctlRaw(fd.get(), UffdUapi.UFFDIO_ZEROPAGE, z);
      return mfill(rc, z.get(JAVA_LONG, 24), "UFFDIO_ZEROPAGE", () -> range(start, len) + ", dontwake=" + dontWake);
    }
  }

  /** UFFDIO_CONTINUE: maps the page-cache pages already present under a MINOR-registered range. */
  public MfillResult continueRange(long start, long len, boolean dontWake) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment c = a.allocate(UffdUapi.CONTINUE);
      c.set(JAVA_LONG, 0, start);
      c.set(JAVA_LONG, 8, len);
      c.set(JAVA_LONG, 16, dontWake ? CONTINUE_MODE_DONTWAKE : 0);
      long rc = Libc.ioctlRaw(fd.get(), UffdUapi.UFFDIO_CONTINUE, c);
      return mfill(rc, c.get(JAVA_LONG, 24), "UFFDIO_CONTINUE", () -> range(start, len) + ", dontwake=" + dontWake);
    }
  }

  /** UFFDIO_WRITEPROTECT: sets or clears write protection on a WP-registered range. */
  public void writeProtect(long start, long len, boolean protect, boolean dontWake) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment w = a.allocate(UffdUapi.WRITEPROTECT);
      w.set(JAVA_LONG, 0, start);
      w.set(JAVA_LONG, 8, len);
      w.set(JAVA_LONG, 16, (protect ? WRITEPROTECT_MODE_WP : 0) | (dontWake ? WRITEPROTECT_MODE_DONTWAKE : 0));
      Libc.ioctl(fd.get(), UffdUapi.UFFDIO_WRITEPROTECT, w, "UFFDIO_WRITEPROTECT", () -> range(start, len) + ", wp=" + protect);
    }
  }

  private static MfillResult mfill(long rc, long reported, String name, java.util.function.Supplier<String> args) {
    if (rc >= 0) return new MfillResult.Done(reported);
    int errno = (int) -rc;
    if (errno == Errno.EEXIST.number()) return new MfillResult.Exists();
    if (errno == Errno.EAGAIN.number()) return new MfillResult.Retry(Math.max(0, reported));
    throw new SyscallException(name, errno, args.get());
  }

  /**
   * Waits up to {@code timeout} for a message and reads one. Empty on timeout (or when another reader
   * took the message first: the fd is non-blocking and read answers EAGAIN).
   */
  public Optional<UffdEvent> readEvent(Duration timeout) {
    int revents = Libc.pollOne(fd.get(), Libc.POLLIN, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    if ((revents & Libc.POLLIN) == 0) return Optional.empty();
    try (Arena a = Arena.ofConfined()) {
      MemorySegment m = a.allocate(UffdUapi.MSG);
      long rc = Libc.readRaw(fd.get(), m, m.byteSize());
      if (rc == -Errno.EAGAIN.number()) return Optional.empty();
      Libc.check(rc, "read(userfaultfd)", () -> "fd=" + fd);
      if (rc != m.byteSize()) throw new IllegalStateException("short uffd_msg read: " + rc + " bytes");
      int event = Byte.toUnsignedInt(m.get(JAVA_BYTE, 0));
      if (event == UffdEvent.UFFD_EVENT_PAGEFAULT) {
        return Optional.of(new UffdEvent.Pagefault(m.get(JAVA_LONG, 8), m.get(JAVA_LONG, 16), m.get(JAVA_INT, 24)));
      }
      return Optional.of(new UffdEvent.Other(event));
    }
  }

  private static String range(long start, long len) {
    return "start=0x" + Long.toHexString(start) + ", len=0x" + Long.toHexString(len);
  }

  @Override
  public void close() {
    fd.close();
  }
}
