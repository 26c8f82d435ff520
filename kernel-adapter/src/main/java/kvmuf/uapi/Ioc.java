package kvmuf.uapi;

import java.lang.foreign.MemoryLayout;

/**
 * The generic Linux ioctl request encoding (include/uapi/asm-generic/ioctl.h, used by x86 and arm64):
 * bits 0-7 number, 8-15 type ("magic"), 16-29 argument size, 30-31 direction.
 *
 * <p>Request numbers are computed from the argument struct's {@link MemoryLayout#byteSize()}, never typed
 * in by hand, so a wrong struct layout shows up as a wrong request number in the tests.
 */
public final class Ioc {
  static final int NRBITS = 8;
  static final int TYPEBITS = 8;
  static final int SIZEBITS = 14;
  static final int NRSHIFT = 0;
  static final int TYPESHIFT = NRSHIFT + NRBITS;
  static final int SIZESHIFT = TYPESHIFT + TYPEBITS;
  static final int DIRSHIFT = SIZESHIFT + SIZEBITS;
  static final long NONE = 0;
  static final long WRITE = 1;
  static final long READ = 2;

  private Ioc() {}

  static long ioc(long dir, int type, int nr, long size) {
    if (size < 0 || size >= (1L << SIZESHIFT)) throw new IllegalArgumentException("ioctl size too large: " + size);
    return (dir << DIRSHIFT) | ((long) type << TYPESHIFT) | ((long) nr << NRSHIFT) | (size << SIZESHIFT);
  }

  /** {@code _IO(type, nr)}: no argument struct. */
  public static long io(int type, int nr) {
    return ioc(NONE, type, nr, 0);
  }

  /** {@code _IOW(type, nr, struct)}: userspace writes the struct, the kernel reads it. */
  public static long iow(int type, int nr, MemoryLayout layout) {
    return ioc(WRITE, type, nr, layout.byteSize());
  }

  /** {@code _IOR(type, nr, struct)}: the kernel writes the struct. */
  public static long ior(int type, int nr, MemoryLayout layout) {
    return ioc(READ, type, nr, layout.byteSize());
  }

  /** {@code _IOWR(type, nr, struct)}: both ways. */
  public static long iowr(int type, int nr, MemoryLayout layout) {
    return ioc(READ | WRITE, type, nr, layout.byteSize());
  }
}
