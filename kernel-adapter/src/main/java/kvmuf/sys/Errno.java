package kvmuf.sys;

/**
 * The errno values the adapter names in its errors and results (x86_64 / asm-generic numbering).
 *
 * <p>Unknown numbers map to {@link #UNKNOWN}; {@link SyscallException#errno()} keeps the raw number.
 */
public enum Errno {
  UNKNOWN(-1),
  EPERM(1),
  ENOENT(2),
  ESRCH(3),
  EINTR(4),
  EIO(5),
  ENXIO(6),
  E2BIG(7),
  EBADF(9),
  EAGAIN(11),
  ENOMEM(12),
  EACCES(13),
  EFAULT(14),
  EBUSY(16),
  EEXIST(17),
  ENODEV(19),
  ENOTDIR(20),
  EINVAL(22),
  ENFILE(23),
  EMFILE(24),
  ENOTTY(25),
  EFBIG(27),
  ENOSPC(28),
  ESPIPE(29),
  EROFS(30),
  ERANGE(34),
  ENOSYS(38),
  EOPNOTSUPP(95),
  ETIMEDOUT(110),
  EHWPOISON(133);

  private final int number;

  Errno(int number) {
    this.number = number;
  }

  public int number() {
    return number;
  }

  public static Errno of(int number) {
    for (Errno e : values()) {
      if (e.number == number) return e;
    }
    return UNKNOWN;
  }

  /** "EEXIST" for 17, "errno 200" for a number this enum does not name. */
  public static String describe(int number) {
    Errno e = of(number);
    return e == UNKNOWN ? "errno " + number : e.name() + " (" + number + ")";
  }
}
