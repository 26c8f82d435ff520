package kvmuf.x86;

import static kvmuf.uapi.Structs.offset;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A copy of struct kvm_sregs ({@link X86Uapi#SREGS}; {@code Vcpu#getSregs} issues KVM_GET_SREGS,
 * {@code Vcpu#setSregs} KVM_SET_SREGS). Held as the raw 312 bytes, so fields the kit does not name
 * (interrupt bitmap, cr2, ...) round-trip unchanged from GET to SET.
 */
public final class Sregs {
  /** The segment registers, in struct order. */
  public enum SegReg {
    CS, DS, ES, FS, GS, SS, TR, LDT
  }

  /** struct kvm_segment: the hidden (cached) part of a segment register, which is what the CPU uses. */
  public record Segment(
      long base, int limit, int selector, int type, boolean present, int dpl, boolean db, boolean s, boolean l, boolean g) {}

  private final MemorySegment raw = Arena.ofAuto().allocate(X86Uapi.SREGS);

  /**
   * The struct's bytes: KVM_GET_SREGS writes them, KVM_SET_SREGS reads them. Auto arena: they live as long
   * as this object, which outlives any ioctl it is passed to.
   */
  public MemorySegment struct() {
    return raw;
  }

  public Segment segment(SegReg r) {
    MemorySegment s = raw.asSlice(r.ordinal() * X86Uapi.SEGMENT.byteSize(), X86Uapi.SEGMENT);
    return new Segment(
        s.get(ValueLayout.JAVA_LONG, 0),
        s.get(ValueLayout.JAVA_INT, 8),
        Short.toUnsignedInt(s.get(ValueLayout.JAVA_SHORT, 12)),
        s.get(ValueLayout.JAVA_BYTE, 14),
        s.get(ValueLayout.JAVA_BYTE, 15) != 0,
        s.get(ValueLayout.JAVA_BYTE, 16),
        s.get(ValueLayout.JAVA_BYTE, 17) != 0,
        s.get(ValueLayout.JAVA_BYTE, 18) != 0,
        s.get(ValueLayout.JAVA_BYTE, 19) != 0,
        s.get(ValueLayout.JAVA_BYTE, 20) != 0);
  }

  public Sregs setSegment(SegReg r, Segment v) {
    MemorySegment s = raw.asSlice(r.ordinal() * X86Uapi.SEGMENT.byteSize(), X86Uapi.SEGMENT);
    s.set(ValueLayout.JAVA_LONG, 0, v.base());
    s.set(ValueLayout.JAVA_INT, 8, v.limit());
    s.set(ValueLayout.JAVA_SHORT, 12, (short) v.selector());
    s.set(ValueLayout.JAVA_BYTE, 14, (byte) v.type());
    s.set(ValueLayout.JAVA_BYTE, 15, (byte) (v.present() ? 1 : 0));
    s.set(ValueLayout.JAVA_BYTE, 16, (byte) v.dpl());
    s.set(ValueLayout.JAVA_BYTE, 17, (byte) (v.db() ? 1 : 0));
    s.set(ValueLayout.JAVA_BYTE, 18, (byte) (v.s() ? 1 : 0));
    s.set(ValueLayout.JAVA_BYTE, 19, (byte) (v.l() ? 1 : 0));
    s.set(ValueLayout.JAVA_BYTE, 20, (byte) (v.g() ? 1 : 0));
    s.set(ValueLayout.JAVA_BYTE, 21, (byte) 0); // avl
    s.set(ValueLayout.JAVA_BYTE, 22, (byte) 0); // unusable
    return this;
  }

  public long cr0() {
    return raw.get(ValueLayout.JAVA_LONG, offset(X86Uapi.SREGS, "cr0"));
  }

  public Sregs cr0(long v) {
    raw.set(ValueLayout.JAVA_LONG, offset(X86Uapi.SREGS, "cr0"), v);
    return this;
  }

  public long cr4() {
    return raw.get(ValueLayout.JAVA_LONG, offset(X86Uapi.SREGS, "cr4"));
  }

  public Sregs cr4(long v) {
    raw.set(ValueLayout.JAVA_LONG, offset(X86Uapi.SREGS, "cr4"), v);
    return this;
  }

  public long efer() {
    return raw.get(ValueLayout.JAVA_LONG, offset(X86Uapi.SREGS, "efer"));
  }

  public Sregs efer(long v) {
    raw.set(ValueLayout.JAVA_LONG, offset(X86Uapi.SREGS, "efer"), v);
    return this;
  }
}
