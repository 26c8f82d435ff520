package kvmuf.x86;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A copy of struct kvm_regs ({@link X86Uapi#REGS}; {@code Vcpu#getRegs} issues KVM_GET_REGS,
 * {@code Vcpu#setRegs} KVM_SET_REGS): the general registers, rip and rflags.
 */
public final class Regs {
  /** Field order of struct kvm_regs. */
  public enum Reg {
    RAX, RBX, RCX, RDX, RSI, RDI, RSP, RBP, R8, R9, R10, R11, R12, R13, R14, R15, RIP, RFLAGS
  }

  private final long[] values = new long[Reg.values().length];

  public long get(Reg r) {
    return values[r.ordinal()];
  }

  public Regs set(Reg r, long v) {
    values[r.ordinal()] = v;
    return this;
  }

  /** Loads every register from a struct kvm_regs (what KVM_GET_REGS filled). */
  public void readFrom(MemorySegment s) {
    for (int i = 0; i < values.length; i++) values[i] = s.getAtIndex(ValueLayout.JAVA_LONG, i);
  }

  /** Stores every register into a struct kvm_regs (what KVM_SET_REGS reads). */
  public void writeTo(MemorySegment s) {
    for (int i = 0; i < values.length; i++) s.setAtIndex(ValueLayout.JAVA_LONG, i, values[i]);
  }
}
