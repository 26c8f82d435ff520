package kvmuf.x86;

/**
 * x86_64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl) for the calls libc may not wrap. Other
 * architectures number them differently (arm64: userfaultfd is 282), which is why they are here and not in
 * the arch-neutral {@code kvmuf.sys}.
 */
public final class Syscalls {
  private Syscalls() {}

  /** userfaultfd(2): glibc has a wrapper only since 2.36, so the kit calls it through syscall(2). */
  public static final long USERFAULTFD = 323;
}
