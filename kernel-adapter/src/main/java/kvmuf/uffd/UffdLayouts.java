package kvmuf.uffd;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.MemoryLayout.unionLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.StructLayout;

/** The userfaultfd UAPI structs (include/uapi/linux/userfaultfd.h) as FFM layouts. */
public final class UffdLayouts {
  private UffdLayouts() {}

  /** struct uffdio_api (24 bytes). */
  public static final StructLayout API =
      structLayout(JAVA_LONG.withName("api"), JAVA_LONG.withName("features"), JAVA_LONG.withName("ioctls"));

  /** struct uffdio_range (16 bytes). */
  public static final StructLayout RANGE = structLayout(JAVA_LONG.withName("start"), JAVA_LONG.withName("len"));

  /** struct uffdio_register (32 bytes). */
  public static final StructLayout REGISTER =
      structLayout(RANGE.withName("range"), JAVA_LONG.withName("mode"), JAVA_LONG.withName("ioctls"));

  /** struct uffdio_copy (40 bytes); {@code copy} is written by the kernel: bytes copied or -errno. */
  public static final StructLayout COPY =
      structLayout(
          JAVA_LONG.withName("dst"),
          JAVA_LONG.withName("src"),
          JAVA_LONG.withName("len"),
          JAVA_LONG.withName("mode"),
          JAVA_LONG.withName("copy"));

  /** struct uffdio_zeropage (32 bytes). */
  public static final StructLayout ZEROPAGE =
      structLayout(RANGE.withName("range"), JAVA_LONG.withName("mode"), JAVA_LONG.withName("zeropage"));

  /** struct uffdio_continue (32 bytes). */
  public static final StructLayout CONTINUE =
      structLayout(RANGE.withName("range"), JAVA_LONG.withName("mode"), JAVA_LONG.withName("mapped"));

  /** struct uffdio_writeprotect (24 bytes). */
  public static final StructLayout WRITEPROTECT = structLayout(RANGE.withName("range"), JAVA_LONG.withName("mode"));

  /** The pagefault member of uffd_msg.arg (24 bytes): flags, address, feat.ptid. */
  static final StructLayout MSG_PAGEFAULT =
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
