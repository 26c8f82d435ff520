package kvmuf.conform.rules;

import java.lang.foreign.ValueLayout;
import kvmuf.sys.Libc;
import kvmuf.sys.Mapping;

/**
 * User memory laid out for one class of bad userfault_bitmap pointer, for the rules that hand such a pointer to
 * KVM_SET_USER_MEMORY_REGION2. Pages that must not be readable are made PROT_NONE rather than unmapped, so that no
 * other mmap can reuse the hole while the rule runs: for the kernel's user copies (__get_user) both fault the same.
 * Closing unmaps everything; the slot may still hold the pointer then, which only makes later faults fail.
 */
final class BitmapMemory implements AutoCloseable {
  static final long PAGE = 4096;

  private final Mapping mapping;
  private final long pointer;

  private BitmapMemory(Mapping mapping, long pointer) {
    this.mapping = mapping;
    this.pointer = pointer;
  }

  /** A user address with no readable page: access_ok (a range check) passes, every read of it faults. */
  static BitmapMemory unreadable() {
    Mapping m = Mapping.anonymous(PAGE, false);
    Libc.mprotect(m.address(), PAGE, Libc.PROT_NONE);
    return new BitmapMemory(m, m.address());
  }

  /**
   * A bitmap too short for its slot: one readable long (gfns 0 to 63) right before a page nothing can read, so
   * the words of gfns 64 and up fault. {@code firstWord} is that long's value.
   */
  static BitmapMemory oneLong(long firstWord) {
    Mapping m = Mapping.anonymous(2 * PAGE, false);
    long p = m.address() + PAGE - Long.BYTES;
    m.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, PAGE - Long.BYTES, firstWord);
    Libc.mprotect(m.address() + PAGE, PAGE, Libc.PROT_NONE);
    return new BitmapMemory(m, p);
  }

  /**
   * A bitmap at an odd address (one byte past a long boundary) in readable memory, whose bytes from the pointer
   * on are {@code bytes} (native x86 order: gfn g is bit g % 8 of byte g / 8), the rest zero.
   */
  static BitmapMemory unaligned(byte... bytes) {
    Mapping m = Mapping.anonymous(PAGE, false);
    for (int i = 0; i < bytes.length; i++) m.segment().set(ValueLayout.JAVA_BYTE, 1 + i, bytes[i]);
    return new BitmapMemory(m, m.address() + 1);
  }

  long pointer() {
    return pointer;
  }

  @Override
  public void close() {
    mapping.close();
  }
}
