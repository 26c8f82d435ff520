package kvmuf.x86;

import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static kvmuf.uapi.Ioc.ior;
import static kvmuf.uapi.Ioc.iow;
import static kvmuf.uapi.KvmUapi.KVMIO;

import java.lang.foreign.StructLayout;

/**
 * The x86_64 part of the KVM UAPI (arch/x86/include/uapi/asm/kvm.h): the register structs as FFM layouts
 * and, beside them, the vCPU ioctls that take them (numbered in include/uapi/linux/kvm.h, sized by these
 * structs). Only {@code kvmuf.uapi} and the JDK are imported; kvm's {@code Vcpu} issues these ioctls.
 */
public final class X86Uapi {
  private X86Uapi() {}

  /** struct kvm_regs (144 bytes): 18 registers in this order. */
  public static final StructLayout REGS =
      structLayout(
          JAVA_LONG.withName("rax"), JAVA_LONG.withName("rbx"), JAVA_LONG.withName("rcx"), JAVA_LONG.withName("rdx"),
          JAVA_LONG.withName("rsi"), JAVA_LONG.withName("rdi"), JAVA_LONG.withName("rsp"), JAVA_LONG.withName("rbp"),
          JAVA_LONG.withName("r8"), JAVA_LONG.withName("r9"), JAVA_LONG.withName("r10"), JAVA_LONG.withName("r11"),
          JAVA_LONG.withName("r12"), JAVA_LONG.withName("r13"), JAVA_LONG.withName("r14"), JAVA_LONG.withName("r15"),
          JAVA_LONG.withName("rip"), JAVA_LONG.withName("rflags"));

  /** On a vCPU fd: the kernel fills {@link #REGS}. */
  public static final long KVM_GET_REGS = ior(KVMIO, 0x81, REGS);
  public static final long KVM_SET_REGS = iow(KVMIO, 0x82, REGS);

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

  /** struct kvm_sregs (312 bytes). */
  public static final StructLayout SREGS =
      structLayout(
          SEGMENT.withName("cs"), SEGMENT.withName("ds"), SEGMENT.withName("es"), SEGMENT.withName("fs"),
          SEGMENT.withName("gs"), SEGMENT.withName("ss"), SEGMENT.withName("tr"), SEGMENT.withName("ldt"),
          DTABLE.withName("gdt"), DTABLE.withName("idt"),
          JAVA_LONG.withName("cr0"), JAVA_LONG.withName("cr2"), JAVA_LONG.withName("cr3"), JAVA_LONG.withName("cr4"),
          JAVA_LONG.withName("cr8"), JAVA_LONG.withName("efer"), JAVA_LONG.withName("apic_base"),
          sequenceLayout(4, JAVA_LONG).withName("interrupt_bitmap")); // (KVM_NR_INTERRUPTS + 63) / 64

  /** On a vCPU fd: the kernel fills {@link #SREGS}. */
  public static final long KVM_GET_SREGS = ior(KVMIO, 0x83, SREGS);
  public static final long KVM_SET_SREGS = iow(KVMIO, 0x84, SREGS);
}
