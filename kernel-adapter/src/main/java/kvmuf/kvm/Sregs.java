package kvmuf.kvm;

import static kvmuf.kvm.KvmLayouts.offset;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A copy of struct kvm_sregs (KVM_GET_SREGS / KVM_SET_SREGS). Held as the raw 312 bytes, so fields the kit
 * does not name (interrupt bitmap, cr2, ...) round-trip unchanged from GET to SET.
 */
public final class Sregs {
  /** The segment registers, in struct order. */
  public enum SegReg {
    CS, DS, ES, FS, GS, SS, TR, LDT
  }

  /** struct kvm_segment: the hidden (cached) part of a segment register, which is what the CPU uses. */
  public record Segment(
      long base, int limit, int selector, int type, boolean present, int dpl, boolean db, boolean s, boolean l, boolean g) {}

  final MemorySegment raw = Arena.ofAuto().allocate(KvmLayouts.SREGS);

  public Segment segment(SegReg r) {
    MemorySegment s = raw.asSlice(r.ordinal() * KvmLayouts.SEGMENT.byteSize(), KvmLayouts.SEGMENT);
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
    MemorySegment s = raw.asSlice(r.ordinal() * KvmLayouts.SEGMENT.byteSize(), KvmLayouts.SEGMENT);
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
    return raw.get(ValueLayout.JAVA_LONG, offset(KvmLayouts.SREGS, "cr0"));
  }

  public Sregs cr0(long v) {
    raw.set(ValueLayout.JAVA_LONG, offset(KvmLayouts.SREGS, "cr0"), v);
    return this;
  }

  public long cr4() {
    return raw.get(ValueLayout.JAVA_LONG, offset(KvmLayouts.SREGS, "cr4"));
  }

  public Sregs cr4(long v) {
    raw.set(ValueLayout.JAVA_LONG, offset(KvmLayouts.SREGS, "cr4"), v);
    return this;
  }

  public long efer() {
    return raw.get(ValueLayout.JAVA_LONG, offset(KvmLayouts.SREGS, "efer"));
  }

  public Sregs efer(long v) {
    raw.set(ValueLayout.JAVA_LONG, offset(KvmLayouts.SREGS, "efer"), v);
    return this;
  }
}
