package kvmuf.uapi;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.MemoryLayout.unionLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static kvmuf.uapi.Ioc.io;
import static kvmuf.uapi.Ioc.ior;
import static kvmuf.uapi.Ioc.iowr;

import java.lang.foreign.StructLayout;

/**
 * The userfaultfd UAPI (include/uapi/linux/userfaultfd.h): each struct as an FFM layout and, beside it, the
 * ioctl request numbers that take it, computed from the layout's size as the header's {@code _IOWR(UFFDIO,
 * _UFFDIO_COPY, struct uffdio_copy)} does. Imports nothing of the kit.
 */
public final class UffdUapi {
  private UffdUapi() {}

  /** The ioctl type ("magic") of every userfaultfd ioctl. */
  public static final int UFFDIO = 0xAA;

  /** ioctl on /dev/userfaultfd that returns a new userfaultfd (the argument is the open flags). */
  public static final long USERFAULTFD_IOC_NEW = io(UFFDIO, 0x00);

  /** struct uffdio_api (24 bytes). */
  public static final StructLayout API =
      structLayout(JAVA_LONG.withName("api"), JAVA_LONG.withName("features"), JAVA_LONG.withName("ioctls"));

  /** The handshake, once per fd: the kernel answers the supported features and ioctls. */
  public static final long UFFDIO_API = iowr(UFFDIO, 0x3F, API);

  /** struct uffdio_range (16 bytes). */
  public static final StructLayout RANGE = structLayout(JAVA_LONG.withName("start"), JAVA_LONG.withName("len"));

  public static final long UFFDIO_UNREGISTER = ior(UFFDIO, 0x01, RANGE);
  public static final long UFFDIO_WAKE = ior(UFFDIO, 0x02, RANGE);

  /** struct uffdio_register (32 bytes). */
  public static final StructLayout REGISTER =
      structLayout(RANGE.withName("range"), JAVA_LONG.withName("mode"), JAVA_LONG.withName("ioctls"));

  public static final long UFFDIO_REGISTER = iowr(UFFDIO, 0x00, REGISTER);

  /** struct uffdio_copy (40 bytes); {@code copy} is written by the kernel: bytes copied or -errno. */
  public static final StructLayout COPY =
      structLayout(
          JAVA_LONG.withName("dst"),
          JAVA_LONG.withName("src"),
          JAVA_LONG.withName("len"),
          JAVA_LONG.withName("mode"),
          JAVA_LONG.withName("copy"));

  public static final long UFFDIO_COPY = iowr(UFFDIO, 0x03, COPY);

  /** struct uffdio_zeropage (32 bytes). */
  public static final StructLayout ZEROPAGE =
      structLayout(RANGE.withName("range"), JAVA_LONG.withName("mode"), JAVA_LONG.withName("zeropage"));

  public static final long UFFDIO_ZEROPAGE = iowr(UFFDIO, 0x04, ZEROPAGE);

  /** struct uffdio_continue (32 bytes). */
  public static final StructLayout CONTINUE =
      structLayout(RANGE.withName("range"), JAVA_LONG.withName("mode"), JAVA_LONG.withName("mapped"));

  public static final long UFFDIO_CONTINUE = iowr(UFFDIO, 0x07, CONTINUE);

  /** struct uffdio_writeprotect (24 bytes). */
  public static final StructLayout WRITEPROTECT = structLayout(RANGE.withName("range"), JAVA_LONG.withName("mode"));

  public static final long UFFDIO_WRITEPROTECT = iowr(UFFDIO, 0x06, WRITEPROTECT);

  /** The pagefault member of uffd_msg.arg (24 bytes): flags, address, feat.ptid. */
  private static final StructLayout MSG_PAGEFAULT =
      structLayout(
          JAVA_LONG.withName("flags"),
          JAVA_LONG.withName("address"),
          JAVA_INT.withName("ptid"),
          JAVA_INT.withName("pad"));

  /** struct uffd_msg (32 bytes, packed in C but naturally aligned anyway). */
  public static final StructLayout MSG =
      structLayout(
          JAVA_BYTE.withName("event"),
          JAVA_BYTE.withName("reserved1"),
          JAVA_SHORT.withName("reserved2"),
          JAVA_INT.withName("reserved3"),
          unionLayout(MSG_PAGEFAULT.withName("pagefault"), sequenceLayout(3, JAVA_LONG).withName("reserved"))
              .withName("arg"));
}
