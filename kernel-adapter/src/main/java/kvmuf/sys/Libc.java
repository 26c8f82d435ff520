package kvmuf.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.util.function.Supplier;

/**
 * Raw libc downcalls through the FFM {@link Linker}: ioctl, syscall, mmap and friends.
 *
 * <p>Every handle captures errno right at the call ({@code Linker.Option.captureCallState("errno")}): the
 * JVM may itself make system calls between our call returning and us reading errno, so reading it later
 * from Java would be wrong. The "raw" methods return what the kernel returns, {@code rc >= 0} or
 * {@code -errno}, so callers that treat an errno as a result (EEXIST from UFFDIO_COPY, EFAULT from KVM_RUN)
 * do not need exceptions for control flow; {@link #check} turns a negative result into a
 * {@link SyscallException} naming the call and its arguments.
 *
 * <p>Variadic functions (ioctl, syscall, open) are linked with {@code firstVariadicArg}, one handle per
 * argument shape, because the C calling convention for a variadic call is not the one for a fixed call.
 */
public final class Libc {
  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
  private static final long ERRNO_OFFSET =
      CAPTURE.byteOffset(MemoryLayout.PathElement.groupElement("errno"));
  private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");

  /** One capture buffer per thread: the downcall writes errno there before returning to Java. */
  private static final ThreadLocal<MemorySegment> CAPTURE_BUF =
      ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

  // int ioctl(int fd, unsigned long request, ...): the third argument is an integer ...
  private static final MethodHandle IOCTL_LONG =
      handle("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), 2);
  // ... or a pointer to the request's struct.
  private static final MethodHandle IOCTL_PTR =
      handle("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), 2);
  // long syscall(long number, ...) with one integer argument (userfaultfd(flags)): for calls glibc may not
  // wrap. The number is the caller's: numbers differ per architecture (kvmuf.x86.Syscalls).
  private static final MethodHandle SYSCALL_1 =
      handle("syscall", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG), 1);
  // int memfd_create(const char *name, unsigned int flags): wrapped by glibc since 2.27.
  private static final MethodHandle MEMFD_CREATE =
      handle("memfd_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), -1);
  private static final MethodHandle MMAP =
      handle("mmap", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), -1);
  private static final MethodHandle MUNMAP =
      handle("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), -1);
  private static final MethodHandle MPROTECT =
      handle("mprotect", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), -1);
  private static final MethodHandle MADVISE =
      handle("madvise", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), -1);
  // int open(const char *path, int flags, ...): the mode is variadic.
  private static final MethodHandle OPEN =
      handle("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), 2);
  private static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);
  private static final MethodHandle READ =
      handle("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), -1);
  private static final MethodHandle PREAD =
      handle("pread", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG), -1);
  private static final MethodHandle POLL =
      handle("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), -1);
  // int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *timeout, const sigset_t *sigmask)
  private static final MethodHandle PPOLL =
      handle("ppoll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS), -1);
  private static final MethodHandle WRITE =
      handle("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), -1);
  // int eventfd(unsigned int initval, int flags): glibc wraps eventfd2.
  private static final MethodHandle EVENTFD = handle("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), -1);
  private static final MethodHandle FTRUNCATE =
      handle("ftruncate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG), -1);
  private static final MethodHandle FALLOCATE =
      handle("fallocate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), -1);
  private static final MethodHandle UNAME = handle("uname", FunctionDescriptor.of(JAVA_INT, ADDRESS), -1);
  // memcpy cannot fail and sets no errno; it is here so that a thread can touch memory from native code
  // (see touch*: a thread blocked in a page fault must not be a thread in Java state).
  // pid_t gettid(void) (glibc 2.30+): the kernel thread id that UFFD_FEATURE_THREAD_ID reports.
  private static final MethodHandle GETTID =
      LINKER.downcallHandle(LINKER.defaultLookup().find("gettid").orElseThrow(), FunctionDescriptor.of(JAVA_INT));
  private static final MethodHandle MEMCPY =
      LINKER.downcallHandle(
          LINKER.defaultLookup().find("memcpy").orElseThrow(),
          FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));

  // Flag values (x86_64 Linux; the asm-generic values, which arm64 shares).
  public static final int O_RDONLY = 0;
  public static final int O_RDWR = 2;
  public static final int O_NONBLOCK = 0x800;
  public static final int O_CLOEXEC = 0x80000;
  public static final int PROT_NONE = 0;
  public static final int PROT_READ = 1;
  public static final int PROT_WRITE = 2;
  public static final int MAP_SHARED = 0x01;
  public static final int MAP_PRIVATE = 0x02;
  public static final int MAP_ANONYMOUS = 0x20;
  public static final int MAP_NORESERVE = 0x4000;
  public static final int MADV_DONTNEED = 4;
  public static final int MADV_REMOVE = 9;
  public static final int MADV_HUGEPAGE = 14;
  public static final int MADV_NOHUGEPAGE = 15;
  public static final int POLLIN = 0x1;
  public static final int EFD_NONBLOCK = 0x800;
  public static final int EFD_CLOEXEC = 0x80000;
  public static final int FALLOC_FL_KEEP_SIZE = 0x1;
  public static final int FALLOC_FL_PUNCH_HOLE = 0x2;
  public static final int MFD_CLOEXEC = 0x1;

  private Libc() {}

  private static MethodHandle handle(String name, FunctionDescriptor fd, int firstVariadic) {
    MemorySegment sym =
        LINKER.defaultLookup().find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    return firstVariadic < 0
        ? LINKER.downcallHandle(sym, fd, ERRNO)
        : LINKER.downcallHandle(sym, fd, ERRNO, Linker.Option.firstVariadicArg(firstVariadic));
  }

  /**
   * One libc call that sets errno on failure, given the errno capture buffer it must be linked to write.
   * It returns what the function returned, widened to long (an mmap address as its number).
   */
  @FunctionalInterface
  private interface Downcall {
    long call(MemorySegment errnoCapture) throws Throwable;
  }

  /**
   * The one place errno is captured: runs the downcall with this thread's capture buffer and returns its
   * result, or {@code -errno} when the result is negative (-1, or MAP_FAILED for mmap). Read right here,
   * from the buffer the downcall itself filled, errno cannot have been overwritten by the JVM in between.
   */
  private static long raw(Downcall d) {
    MemorySegment cap = CAPTURE_BUF.get();
    try {
      long rc = d.call(cap);
      return rc < 0 ? -cap.get(JAVA_INT, ERRNO_OFFSET) : rc;
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static RuntimeException rethrow(Throwable t) {
    if (t instanceof RuntimeException r) return r;
    if (t instanceof Error e) throw e;
    return new IllegalStateException(t);
  }

  /** Throws {@link SyscallException} when {@code rc} is a negated errno; returns {@code rc} otherwise. */
  public static long check(long rc, String call, Supplier<String> args) {
    if (rc < 0) throw new SyscallException(call, (int) -rc, args.get());
    return rc;
  }

  /** ioctl with an integer argument; returns rc or -errno. */
  public static long ioctlRaw(int fd, long request, long arg) {
    return raw(cap -> (int) IOCTL_LONG.invokeExact(cap, fd, request, arg));
  }

  /** ioctl with a pointer argument; the segment must stay alive for the call (callers pass an arena's). */
  public static long ioctlRaw(int fd, long request, MemorySegment arg) {
    return raw(cap -> (int) IOCTL_PTR.invokeExact(cap, fd, request, arg));
  }

  public static long ioctl(int fd, long request, long arg, String name) {
    return check(ioctlRaw(fd, request, arg), name, () -> "fd=" + fd + ", arg=" + arg);
  }

  public static long ioctl(int fd, long request, MemorySegment arg, String name, Supplier<String> args) {
    return check(ioctlRaw(fd, request, arg), name, () -> "fd=" + fd + ", " + args.get());
  }

  /**
   * syscall(2) with one integer argument, for a call glibc may not wrap; {@code number} is the
   * architecture's (kvmuf.x86.Syscalls). Returns the result or -errno.
   */
  public static long syscallRaw(long number, long arg) {
    return raw(cap -> (long) SYSCALL_1.invokeExact(cap, number, arg));
  }

  /** memfd_create(2); returns the fd. */
  public static int memfdCreate(String name, int flags) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment cName = a.allocateFrom(name); // read by the kernel during the call only
      long rc = raw(cap -> (int) MEMFD_CREATE.invokeExact(cap, cName, flags));
      return (int) check(rc, "memfd_create", () -> "name=" + name + ", flags=" + flags);
    }
  }

  /** mmap(2); returns the mapping's address. */
  public static long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
    // MAP_FAILED is (void *) -1; no mapping the kernel hands to user space has the top bit set.
    long rc =
        raw(cap -> ((MemorySegment) MMAP.invokeExact(cap, MemorySegment.ofAddress(addr), length, prot, flags, fd, offset))
            .address());
    return check(
        rc,
        "mmap",
        () -> "len=" + length + ", prot=" + prot + ", flags=0x" + Integer.toHexString(flags) + ", fd=" + fd + ", off=" + offset);
  }

  public static void munmap(long addr, long length) {
    long rc = raw(cap -> (int) MUNMAP.invokeExact(cap, MemorySegment.ofAddress(addr), length));
    check(rc, "munmap", () -> "addr=0x" + Long.toHexString(addr) + ", len=" + length);
  }

  /** mprotect(2): e.g. PROT_NONE, so that nothing (the kernel's user copies included) can read those pages. */
  public static void mprotect(long addr, long length, int prot) {
    long rc = raw(cap -> (int) MPROTECT.invokeExact(cap, MemorySegment.ofAddress(addr), length, prot));
    check(rc, "mprotect", () -> "addr=0x" + Long.toHexString(addr) + ", len=" + length + ", prot=" + prot);
  }

  public static void madvise(long addr, long length, int advice) {
    long rc = raw(cap -> (int) MADVISE.invokeExact(cap, MemorySegment.ofAddress(addr), length, advice));
    check(rc, "madvise", () -> "addr=0x" + Long.toHexString(addr) + ", len=" + length + ", advice=" + advice);
  }

  /** open(2); returns fd or -errno (absence of a device is an answer, not an error, for probes). */
  public static long openRaw(String path, int flags) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment cPath = a.allocateFrom(path); // read by the kernel during the call only
      return raw(cap -> (int) OPEN.invokeExact(cap, cPath, flags, 0));
    }
  }

  public static int open(String path, int flags) {
    return (int) check(openRaw(path, flags), "open", () -> path + ", flags=0x" + Integer.toHexString(flags));
  }

  public static void close(int fd) {
    check(raw(cap -> (int) CLOSE.invokeExact(cap, fd)), "close", () -> "fd=" + fd);
  }

  /** read(2); returns bytes or -errno. */
  public static long readRaw(int fd, MemorySegment buf, long count) {
    return raw(cap -> (long) READ.invokeExact(cap, fd, buf, count));
  }

  /** write(2); returns bytes or -errno. */
  public static long writeRaw(int fd, MemorySegment buf, long count) {
    return raw(cap -> (long) WRITE.invokeExact(cap, fd, buf, count));
  }

  /** eventfd(2) with {@code flags} (EFD_NONBLOCK, EFD_CLOEXEC); returns the fd. */
  public static int eventfd(int initval, int flags) {
    return (int) check(raw(cap -> (int) EVENTFD.invokeExact(cap, initval, flags)), "eventfd", () -> "flags=0x" + Integer.toHexString(flags));
  }

  /**
   * ppoll(2) on the {@code n} struct pollfd in {@code fds} with a timeout of {@code timeout} (a struct
   * timespec; its nanosecond resolution is why this is not poll) and no signal mask; returns how many fds
   * have events, 0 on timeout, or -errno (EINTR included: the caller re-checks what it waits for).
   */
  public static long ppollRaw(MemorySegment fds, long n, MemorySegment timeout) {
    return raw(cap -> (int) PPOLL.invokeExact(cap, fds, n, timeout, MemorySegment.NULL));
  }

  public static long pread(int fd, MemorySegment buf, long count, long offset) {
    long rc = raw(cap -> (long) PREAD.invokeExact(cap, fd, buf, count, offset));
    return check(rc, "pread", () -> "fd=" + fd + ", count=" + count + ", off=" + offset);
  }

  /**
   * poll(2) on one fd for {@code events}; returns the revents (0 on timeout). EINTR is retried with the
   * whole timeout again: callers use short timeouts, and a bounded over-wait is better than a false timeout.
   */
  public static int pollOne(int fd, int events, int timeoutMillis) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment pfd = a.allocate(8, 4); // struct pollfd { int fd; short events; short revents; }
      while (true) {
        pfd.set(JAVA_INT, 0, fd);
        pfd.set(JAVA_SHORT, 4, (short) events);
        pfd.set(JAVA_SHORT, 6, (short) 0);
        long rc = raw(cap -> (int) POLL.invokeExact(cap, pfd, 1L, timeoutMillis));
        if (rc == -Errno.EINTR.number()) continue;
        check(rc, "poll", () -> "fd=" + fd + ", events=" + events + ", timeout=" + timeoutMillis);
        return rc == 0 ? 0 : pfd.get(JAVA_SHORT, 6);
      }
    }
  }

  public static void ftruncate(int fd, long length) {
    check(raw(cap -> (int) FTRUNCATE.invokeExact(cap, fd, length)), "ftruncate", () -> "fd=" + fd + ", len=" + length);
  }

  public static void fallocate(int fd, int mode, long offset, long length) {
    long rc = raw(cap -> (int) FALLOCATE.invokeExact(cap, fd, mode, offset, length));
    check(rc, "fallocate", () -> "fd=" + fd + ", mode=" + mode + ", off=" + offset + ", len=" + length);
  }

  /** The five strings of uname(2): sysname, nodename, release, version, machine. */
  public static String[] uname() {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment u = a.allocate(6 * 65); // struct utsname: six char[65] on Linux
      check(raw(cap -> (int) UNAME.invokeExact(cap, u)), "uname", () -> "");
      String[] out = new String[5];
      for (int i = 0; i < 5; i++) out[i] = u.asSlice(i * 65L, 65).getString(0);
      return out;
    }
  }

  /** The calling thread's kernel thread id. */
  public static int gettid() {
    try {
      return (int) GETTID.invokeExact();
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /**
   * Copies {@code len} bytes with libc memcpy. Used to touch memory that may fault into userfaultfd: the
   * calling thread then blocks inside native code, where the JVM counts it as safepoint-safe. A thread
   * blocked on a page fault from Java code (MemorySegment.get) would stall every safepoint (GC, deopt)
   * until the fault is resolved, and the resolving thread could then block at its own safepoint poll:
   * a deadlock that tests would hit only sometimes.
   */
  public static void memcpy(long dst, long src, long len) {
    try {
      MemorySegment unused =
          (MemorySegment) MEMCPY.invokeExact(MemorySegment.ofAddress(dst), MemorySegment.ofAddress(src), len);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }
}
