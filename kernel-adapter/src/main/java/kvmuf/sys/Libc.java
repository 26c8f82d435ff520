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
  // long syscall(long number, ...): userfaultfd(flags).
  private static final MethodHandle SYSCALL_1 =
      handle("syscall", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG), 1);
  // syscall(number, pointer, long): memfd_create(name, flags).
  private static final MethodHandle SYSCALL_PL =
      handle("syscall", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG), 1);
  private static final MethodHandle MMAP =
      handle("mmap", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG), -1);
  private static final MethodHandle MUNMAP =
      handle("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), -1);
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

  // Flag values (x86_64 Linux).
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
  public static final int FALLOC_FL_KEEP_SIZE = 0x1;
  public static final int FALLOC_FL_PUNCH_HOLE = 0x2;
  /** x86_64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl). */
  public static final long SYS_MEMFD_CREATE = 319;
  public static final long SYS_USERFAULTFD = 323;
  public static final long MFD_CLOEXEC = 0x1;

  private Libc() {}

  private static MethodHandle handle(String name, FunctionDescriptor fd, int firstVariadic) {
    MemorySegment sym =
        LINKER.defaultLookup().find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    return firstVariadic < 0
        ? LINKER.downcallHandle(sym, fd, ERRNO)
        : LINKER.downcallHandle(sym, fd, ERRNO, Linker.Option.firstVariadicArg(firstVariadic));
  }

  private static int errno(MemorySegment cap) {
    return cap.get(JAVA_INT, ERRNO_OFFSET);
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
    MemorySegment cap = CAPTURE_BUF.get();
    try {
      int rc = (int) IOCTL_LONG.invokeExact(cap, fd, request, arg);
      return rc < 0 ? -errno(cap) : rc;
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /** ioctl with a pointer argument; the segment must stay alive for the call (callers pass an arena's). */
  public static long ioctlRaw(int fd, long request, MemorySegment arg) {
    MemorySegment cap = CAPTURE_BUF.get();
    try {
      int rc = (int) IOCTL_PTR.invokeExact(cap, fd, request, arg);
      return rc < 0 ? -errno(cap) : rc;
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public static long ioctl(int fd, long request, long arg, String name) {
    return check(ioctlRaw(fd, request, arg), name, () -> "fd=" + fd + ", arg=" + arg);
  }

  public static long ioctl(int fd, long request, MemorySegment arg, String name, Supplier<String> args) {
    return check(ioctlRaw(fd, request, arg), name, () -> "fd=" + fd + ", " + args.get());
  }

  /** userfaultfd(2) through syscall(2): glibc only gained a wrapper in 2.36. Returns fd or -errno. */
  public static long userfaultfdRaw(long flags) {
    MemorySegment cap = CAPTURE_BUF.get();
    try {
      long rc = (long) SYSCALL_1.invokeExact(cap, SYS_USERFAULTFD, flags);
      return rc < 0 ? -errno(cap) : rc;
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /** memfd_create(2) through syscall(2); returns the fd. */
  public static int memfdCreate(String name, long flags) {
    MemorySegment cap = CAPTURE_BUF.get();
    try (Arena a = Arena.ofConfined()) {
      long rc = (long) SYSCALL_PL.invokeExact(cap, SYS_MEMFD_CREATE, a.allocateFrom(name), flags);
      return (int) check(rc < 0 ? -errno(cap) : rc, "memfd_create", () -> "name=" + name + ", flags=" + flags);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /** mmap(2); returns the mapping's address. */
  public static long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
    MemorySegment cap = CAPTURE_BUF.get();
    try {
      MemorySegment r =
          (MemorySegment) MMAP.invokeExact(cap, MemorySegment.ofAddress(addr), length, prot, flags, fd, offset);
      if (r.address() == -1L) {
        throw new SyscallException(
            "mmap",
            errno(cap),
            "len=" + length + ", prot=" + prot + ", flags=0x" + Integer.toHexString(flags) + ", fd=" + fd
                + ", off=" + offset);
      }
      return r.address();
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public static void munmap(long addr, long length) {
    MemorySegment cap = CAPTURE_BUF.get();
    try {
      int rc = (int) MUNMAP.invokeExact(cap, MemorySegment.ofAddress(addr), length);
      check(rc < 0 ? -errno(cap) : rc, "munmap", () -> "addr=0x" + Long.toHexString(addr) + ", len=" + length);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public static void madvise(long addr, long length, int advice) {
    MemorySegment cap = CAPTURE_BUF.get();
    try {
      int rc = (int) MADVISE.invokeExact(cap, MemorySegment.ofAddress(addr), length, advice);
      check(
          rc < 0 ? -errno(cap) : rc,
          "madvise",
          () -> "addr=0x" + Long.toHexString(addr) + ", len=" + length + ", advice=" + advice);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /** open(2); returns fd or -errno (absence of a device is an answer, not an error, for probes). */
  public static long openRaw(String path, int flags) {
    MemorySegment cap = CAPTURE_BUF.get();
    try (Arena a = Arena.ofConfined()) {
      int rc = (int) OPEN.invokeExact(cap, a.allocateFrom(path), flags, 0);
      return rc < 0 ? -errno(cap) : rc;
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public static int open(String path, int flags) {
    return (int) check(openRaw(path, flags), "open", () -> path + ", flags=0x" + Integer.toHexString(flags));
  }

  public static void close(int fd) {
    MemorySegment cap = CAPTURE_BUF.get();
    try {
      int rc = (int) CLOSE.invokeExact(cap, fd);
      check(rc < 0 ? -errno(cap) : rc, "close", () -> "fd=" + fd);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /** read(2); returns bytes or -errno. */
  public static long readRaw(int fd, MemorySegment buf, long count) {
    MemorySegment cap = CAPTURE_BUF.get();
    try {
      long rc = (long) READ.invokeExact(cap, fd, buf, count);
      return rc < 0 ? -errno(cap) : rc;
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public static long pread(int fd, MemorySegment buf, long count, long offset) {
    MemorySegment cap = CAPTURE_BUF.get();
    try {
      long rc = (long) PREAD.invokeExact(cap, fd, buf, count, offset);
      return check(rc < 0 ? -errno(cap) : rc, "pread", () -> "fd=" + fd + ", count=" + count + ", off=" + offset);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /**
   * poll(2) on one fd for {@code events}; returns the revents (0 on timeout). EINTR is retried with the
   * whole timeout again: callers use short timeouts, and a bounded over-wait is better than a false timeout.
   */
  public static int pollOne(int fd, int events, int timeoutMillis) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment pfd = a.allocate(8, 4); // struct pollfd { int fd; short events; short revents; }
      MemorySegment cap = CAPTURE_BUF.get();
      while (true) {
        pfd.set(JAVA_INT, 0, fd);
        pfd.set(JAVA_SHORT, 4, (short) events);
        pfd.set(JAVA_SHORT, 6, (short) 0);
        int rc = (int) POLL.invokeExact(cap, pfd, 1L, timeoutMillis);
        if (rc < 0) {
          int e = errno(cap);
          if (e == Errno.EINTR.number()) continue;
          throw new SyscallException("poll", e, "fd=" + fd + ", events=" + events + ", timeout=" + timeoutMillis);
        }
        return rc == 0 ? 0 : pfd.get(JAVA_SHORT, 6);
      }
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public static void ftruncate(int fd, long length) {
    MemorySegment cap = CAPTURE_BUF.get();
    try {
      int rc = (int) FTRUNCATE.invokeExact(cap, fd, length);
      check(rc < 0 ? -errno(cap) : rc, "ftruncate", () -> "fd=" + fd + ", len=" + length);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public static void fallocate(int fd, int mode, long offset, long length) {
    MemorySegment cap = CAPTURE_BUF.get();
    try {
      int rc = (int) FALLOCATE.invokeExact(cap, fd, mode, offset, length);
      check(
          rc < 0 ? -errno(cap) : rc,
          "fallocate",
          () -> "fd=" + fd + ", mode=" + mode + ", off=" + offset + ", len=" + length);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /** The five strings of uname(2): sysname, nodename, release, version, machine. */
  public static String[] uname() {
    MemorySegment cap = CAPTURE_BUF.get();
    try (Arena a = Arena.ofConfined()) {
      MemorySegment u = a.allocate(6 * 65); // struct utsname: six char[65] on Linux
      int rc = (int) UNAME.invokeExact(cap, u);
      check(rc < 0 ? -errno(cap) : rc, "uname", () -> "");
      String[] out = new String[5];
      for (int i = 0; i < 5; i++) out[i] = u.asSlice(i * 65L, 65).getString(0);
      return out;
    } catch (Throwable t) {
      throw rethrow(t);
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
