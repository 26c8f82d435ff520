package kvmuf.kvm;

import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.MemoryLayout.unionLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.StructLayout;

/**
 * The KVM UAPI structs (include/uapi/linux/kvm.h, x86_64) as FFM layouts. Field names follow the C
 * header so a reader can check them against it; the tests assert sizes and offsets, and the ioctl request
 * numbers in {@link kvmuf.sys.Ioctls} are computed from these sizes.
 */
public final class KvmLayouts {
  private KvmLayouts() {}

  /** struct kvm_userspace_memory_region (32 bytes). */
  public static final StructLayout USERSPACE_MEMORY_REGION =
      structLayout(
          JAVA_INT.withName("slot"),
          JAVA_INT.withName("flags"),
          JAVA_LONG.withName("guest_phys_addr"),
          JAVA_LONG.withName("memory_size"),
          JAVA_LONG.withName("userspace_addr"));

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

  /** struct kvm_create_guest_memfd (64 bytes). */
  public static final StructLayout CREATE_GUEST_MEMFD =
      structLayout(
          JAVA_LONG.withName("size"), JAVA_LONG.withName("flags"), sequenceLayout(6, JAVA_LONG).withName("reserved"));

  /** struct kvm_dirty_log (16 bytes): the bitmap pointer sits in a union with a __u64 padding. */
  public static final StructLayout DIRTY_LOG =
      structLayout(JAVA_INT.withName("slot"), JAVA_INT.withName("padding1"), JAVA_LONG.withName("dirty_bitmap"));

  /** struct kvm_enable_cap (104 bytes). */
  public static final StructLayout ENABLE_CAP =
      structLayout(
          JAVA_INT.withName("cap"),
          JAVA_INT.withName("flags"),
          sequenceLayout(4, JAVA_LONG).withName("args"),
          sequenceLayout(64, JAVA_BYTE).withName("pad"));

  /** struct kvm_regs (x86, 144 bytes): 18 registers in this order. */
  public static final StructLayout REGS =
      structLayout(
          JAVA_LONG.withName("rax"), JAVA_LONG.withName("rbx"), JAVA_LONG.withName("rcx"), JAVA_LONG.withName("rdx"),
          JAVA_LONG.withName("rsi"), JAVA_LONG.withName("rdi"), JAVA_LONG.withName("rsp"), JAVA_LONG.withName("rbp"),
          JAVA_LONG.withName("r8"), JAVA_LONG.withName("r9"), JAVA_LONG.withName("r10"), JAVA_LONG.withName("r11"),
          JAVA_LONG.withName("r12"), JAVA_LONG.withName("r13"), JAVA_LONG.withName("r14"), JAVA_LONG.withName("r15"),
          JAVA_LONG.withName("rip"), JAVA_LONG.withName("rflags"));

  /** struct kvm_segment (24 bytes): KVM's cached form of a segment descriptor. */
  public static final StructLayout SEGMENT =
      structLayout(
          JAVA_LONG.withName("base"),
          JAVA_INT.withName("limit"),
          JAVA_SHORT.withName("selector"),
          JAVA_BYTE.withName("type"),
          JAVA_BYTE.withName("present"),
          JAVA_BYTE.withName("dpl"),
          JAVA_BYTE.withName("db"),
          JAVA_BYTE.withName("s"),
          JAVA_BYTE.withName("l"),
          JAVA_BYTE.withName("g"),
          JAVA_BYTE.withName("avl"),
          JAVA_BYTE.withName("unusable"),
          JAVA_BYTE.withName("padding"));

  /** struct kvm_dtable (16 bytes). */
  public static final StructLayout DTABLE =
      structLayout(JAVA_LONG.withName("base"), JAVA_SHORT.withName("limit"), sequenceLayout(3, JAVA_SHORT).withName("padding"));

  /** struct kvm_sregs (x86, 312 bytes). */
  public static final StructLayout SREGS =
      structLayout(
          SEGMENT.withName("cs"), SEGMENT.withName("ds"), SEGMENT.withName("es"), SEGMENT.withName("fs"),
          SEGMENT.withName("gs"), SEGMENT.withName("ss"), SEGMENT.withName("tr"), SEGMENT.withName("ldt"),
          DTABLE.withName("gdt"), DTABLE.withName("idt"),
          JAVA_LONG.withName("cr0"), JAVA_LONG.withName("cr2"), JAVA_LONG.withName("cr3"), JAVA_LONG.withName("cr4"),
          JAVA_LONG.withName("cr8"), JAVA_LONG.withName("efer"), JAVA_LONG.withName("apic_base"),
          sequenceLayout(4, JAVA_LONG).withName("interrupt_bitmap")); // (KVM_NR_INTERRUPTS + 63) / 64

  // --- struct kvm_run: the part the adapter reads. The exit union is 256 bytes at offset 32. ---

  static final StructLayout RUN_IO =
      structLayout(
          JAVA_BYTE.withName("direction"),
          JAVA_BYTE.withName("size"),
          JAVA_SHORT.withName("port"),
          JAVA_INT.withName("count"),
          JAVA_LONG.withName("data_offset"));

  static final StructLayout RUN_MMIO =
      structLayout(
          JAVA_LONG.withName("phys_addr"),
          sequenceLayout(8, JAVA_BYTE).withName("data"),
          JAVA_INT.withName("len"),
          JAVA_BYTE.withName("is_write"),
          paddingLayout(3));

  static final StructLayout RUN_MEMORY_FAULT =
      structLayout(JAVA_LONG.withName("flags"), JAVA_LONG.withName("gpa"), JAVA_LONG.withName("size"));

  static final StructLayout RUN_FAIL_ENTRY =
      structLayout(JAVA_LONG.withName("hardware_entry_failure_reason"), JAVA_INT.withName("cpu"), paddingLayout(4));

  static final StructLayout RUN_INTERNAL =
      structLayout(JAVA_INT.withName("suberror"), JAVA_INT.withName("ndata"), sequenceLayout(16, JAVA_LONG).withName("data"));

  static final StructLayout RUN_HW = structLayout(JAVA_LONG.withName("hardware_exit_reason"));

  static final GroupLayout RUN_EXIT_UNION =
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

  /** Byte offset of a (possibly nested) field, by C field names: {@code offset(RUN, "exit", "io", "port")}. */
  public static long offset(MemoryLayout layout, String... path) {
    PathElement[] p = new PathElement[path.length];
    for (int i = 0; i < path.length; i++) p[i] = PathElement.groupElement(path[i]);
    return layout.byteOffset(p);
  }
}
