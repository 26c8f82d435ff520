package kvmuf.uapi;

import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.MemoryLayout.unionLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static kvmuf.uapi.Ioc.io;
import static kvmuf.uapi.Ioc.iow;
import static kvmuf.uapi.Ioc.iowr;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.StructLayout;

/**
 * The arch-neutral KVM UAPI (include/uapi/linux/kvm.h): each struct as an FFM layout and, beside it, the
 * ioctl request numbers that take it, computed from the layout's size exactly as the header's
 * {@code _IOW(KVMIO, 0x49, struct kvm_userspace_memory_region2)} does. Field names follow the C header so a
 * reader can check them against it; LayoutsTest asserts sizes and offsets, IoctlsTest every number. The
 * x86_64 register structs and their ioctls are in {@code kvmuf.x86.X86Uapi}.
 *
 * <p>Nothing of the kit is imported here: {@code sys}, {@code kvm}, {@code uffd} and {@code gmem} sit on top.
 */
public final class KvmUapi {
  private KvmUapi() {}

  /** The ioctl type ("magic") of every KVM ioctl. */
  public static final int KVMIO = 0xAE;

  // --- System ioctls (/dev/kvm) and ioctls without an argument struct. ---

  public static final long KVM_GET_API_VERSION = io(KVMIO, 0x00);
  public static final long KVM_CREATE_VM = io(KVMIO, 0x01);
  /** On the system fd and on a VM fd; the argument is the capability number. */
  public static final long KVM_CHECK_EXTENSION = io(KVMIO, 0x03);
  public static final long KVM_GET_VCPU_MMAP_SIZE = io(KVMIO, 0x04);
  /** On a VM fd; the argument is the vCPU id, the result the vCPU fd. */
  public static final long KVM_CREATE_VCPU = io(KVMIO, 0x41);
  /** On a VM fd; returns the binary stats fd (header {@link #STATS_HEADER}, descriptors {@link #STATS_DESC}). */
  public static final long KVM_GET_STATS_FD = io(KVMIO, 0xce);
  /** On a vCPU fd; exits are decoded from {@link #RUN}. */
  public static final long KVM_RUN = io(KVMIO, 0x80);

  /** struct kvm_userspace_memory_region (32 bytes). */
  public static final StructLayout USERSPACE_MEMORY_REGION =
      structLayout(
          JAVA_INT.withName("slot"),
          JAVA_INT.withName("flags"),
          JAVA_LONG.withName("guest_phys_addr"),
          JAVA_LONG.withName("memory_size"),
          JAVA_LONG.withName("userspace_addr"));

  public static final long KVM_SET_USER_MEMORY_REGION = iow(KVMIO, 0x46, USERSPACE_MEMORY_REGION);

  /**
   * struct kvm_userspace_memory_region2 (160 bytes). Upstream ends with {@code pad2[14]}; the KVM
   * Userfault series (v1..v3) takes the first pad word for {@code userfault_bitmap} (byte offset 48), so
   * one layout serves every profile: on an upstream kernel the word must simply stay zero.
   */
  public static final StructLayout USERSPACE_MEMORY_REGION2 =
      structLayout(
          JAVA_INT.withName("slot"),
          JAVA_INT.withName("flags"),
          JAVA_LONG.withName("guest_phys_addr"),
          JAVA_LONG.withName("memory_size"),
          JAVA_LONG.withName("userspace_addr"),
          JAVA_LONG.withName("guest_memfd_offset"),
          JAVA_INT.withName("guest_memfd"),
          JAVA_INT.withName("pad1"),
          JAVA_LONG.withName("userfault_bitmap"),
          sequenceLayout(13, JAVA_LONG).withName("pad2"));

  /** KVM_CAP_USER_MEMORY2 (Linux 6.8+): the only memslot ioctl that can carry KVM Userfault. */
  public static final long KVM_SET_USER_MEMORY_REGION2 = iow(KVMIO, 0x49, USERSPACE_MEMORY_REGION2);

  /** struct kvm_create_guest_memfd (64 bytes). */
  public static final StructLayout CREATE_GUEST_MEMFD =
      structLayout(
          JAVA_LONG.withName("size"), JAVA_LONG.withName("flags"), sequenceLayout(6, JAVA_LONG).withName("reserved"));

  /** On a VM fd; returns the guest_memfd. */
  public static final long KVM_CREATE_GUEST_MEMFD = iowr(KVMIO, 0xd4, CREATE_GUEST_MEMFD);

  /** struct kvm_dirty_log (16 bytes): the bitmap pointer sits in a union with a __u64 padding. */
  public static final StructLayout DIRTY_LOG =
      structLayout(JAVA_INT.withName("slot"), JAVA_INT.withName("padding1"), JAVA_LONG.withName("dirty_bitmap"));

  public static final long KVM_GET_DIRTY_LOG = iow(KVMIO, 0x42, DIRTY_LOG);

  /** struct kvm_enable_cap (104 bytes). */
  public static final StructLayout ENABLE_CAP =
      structLayout(
          JAVA_INT.withName("cap"),
          JAVA_INT.withName("flags"),
          sequenceLayout(4, JAVA_LONG).withName("args"),
          sequenceLayout(64, JAVA_BYTE).withName("pad"));

  public static final long KVM_ENABLE_CAP = iow(KVMIO, 0xa3, ENABLE_CAP);

  // --- struct kvm_run: the part the adapter reads. The exit union is 256 bytes at offset 32. ---

  private static final StructLayout RUN_IO =
      structLayout(
          JAVA_BYTE.withName("direction"),
          JAVA_BYTE.withName("size"),
          JAVA_SHORT.withName("port"),
          JAVA_INT.withName("count"),
          JAVA_LONG.withName("data_offset"));

  private static final StructLayout RUN_MMIO =
      structLayout(
          JAVA_LONG.withName("phys_addr"),
          sequenceLayout(8, JAVA_BYTE).withName("data"),
          JAVA_INT.withName("len"),
          JAVA_BYTE.withName("is_write"),
          paddingLayout(3));

  private static final StructLayout RUN_MEMORY_FAULT =
      structLayout(JAVA_LONG.withName("flags"), JAVA_LONG.withName("gpa"), JAVA_LONG.withName("size"));

  private static final StructLayout RUN_FAIL_ENTRY =
      structLayout(JAVA_LONG.withName("hardware_entry_failure_reason"), JAVA_INT.withName("cpu"), paddingLayout(4));

  private static final StructLayout RUN_INTERNAL =
      structLayout(JAVA_INT.withName("suberror"), JAVA_INT.withName("ndata"), sequenceLayout(16, JAVA_LONG).withName("data"));

  private static final StructLayout RUN_HW = structLayout(JAVA_LONG.withName("hardware_exit_reason"));

  private static final GroupLayout RUN_EXIT_UNION =
      unionLayout(
          RUN_HW.withName("hw"),
          RUN_FAIL_ENTRY.withName("fail_entry"),
          RUN_IO.withName("io"),
          RUN_MMIO.withName("mmio"),
          RUN_INTERNAL.withName("internal"),
          RUN_MEMORY_FAULT.withName("memory_fault"),
          sequenceLayout(256, JAVA_BYTE).withName("padding"));

  /** The head of struct kvm_run up to and including the exit union (288 bytes of the mmap'd page). */
  public static final StructLayout RUN =
      structLayout(
          JAVA_BYTE.withName("request_interrupt_window"),
          JAVA_BYTE.withName("immediate_exit"),
          sequenceLayout(6, JAVA_BYTE).withName("padding1"),
          JAVA_INT.withName("exit_reason"),
          JAVA_BYTE.withName("ready_for_interrupt_injection"),
          JAVA_BYTE.withName("if_flag"),
          JAVA_SHORT.withName("flags"),
          JAVA_LONG.withName("cr8"),
          JAVA_LONG.withName("apic_base"),
          RUN_EXIT_UNION.withName("exit"));

  /** struct kvm_stats_header (24 bytes), at offset 0 of a binary stats fd. */
  public static final StructLayout STATS_HEADER =
      structLayout(
          JAVA_INT.withName("flags"),
          JAVA_INT.withName("name_size"),
          JAVA_INT.withName("num_desc"),
          JAVA_INT.withName("id_offset"),
          JAVA_INT.withName("desc_offset"),
          JAVA_INT.withName("data_offset"));

  /** struct kvm_stats_desc without its trailing name (16 bytes; each descriptor is 16 + name_size). */
  public static final StructLayout STATS_DESC =
      structLayout(
          JAVA_INT.withName("flags"),
          JAVA_SHORT.withName("exponent"),
          JAVA_SHORT.withName("size"),
          JAVA_INT.withName("offset"),
          JAVA_INT.withName("bucket_size"));
}
