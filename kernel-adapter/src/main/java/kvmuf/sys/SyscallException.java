package kvmuf.sys;

/**
 * A failed system call or ioctl: names the call, the errno and the arguments, so a log line alone says
 * what the kernel refused ("KVM_SET_USER_MEMORY_REGION2(slot=0, flags=0x8, ...) failed: EINVAL (22)").
 */
public class SyscallException extends RuntimeException {
  private final String call;
  private final int errno;

  public SyscallException(String call, int errno, String args) {
    super(call + "(" + args + ") failed: " + Errno.describe(errno));
    this.call = call;
    this.errno = errno;
  }

  /** The system call or ioctl name, e.g. "KVM_RUN" or "mmap". */
  public String call() {
    return call;
  }

  /** The raw errno the kernel returned. */
  public int errno() {
    return errno;
  }

  public Errno errnoName() {
    return Errno.of(errno);
  }

  public boolean is(Errno e) {
    return errno == e.number();
  }
}
