package kvmuf.kvm;

import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import kvmuf.sys.Mapping;

/**
 * The KVM Userfault bitmap of one memslot: one bit per page from the slot base, an array of native longs,
 * LSB first (facts file section 1). KVM reads it with plain loads while vCPUs fault, so userspace updates
 * bits atomically: {@link #set} with a plain atomic OR, {@link #clear} with a release AND, as the series'
 * documentation asks ("clearing bits ... should usually be done with a store-release").
 *
 * <p>The memory is its own anonymous mapping, pinned by the Vm while a memslot points at it (see
 * {@link Mapping#pin()}): the kernel keeps only the address.
 */
public final class UserfaultBitmap implements AutoCloseable {
  private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

  private final Mapping memory;
  private final long pages;

  public UserfaultBitmap(long pages) {
    this.pages = pages;
    long bytes = Math.max(8, ((pages + 63) / 64) * 8);
    this.memory = Mapping.anonymous((bytes + 4095) & ~4095L, false);
  }

  public long pages() {
    return pages;
  }

  /** The address for {@code kvm_userspace_memory_region2.userfault_bitmap}. */
  public long address() {
    return memory.address();
  }

  Mapping mapping() {
    return memory;
  }

  /** Marks page {@code i} of the slot: the next vCPU fault on it exits with KVM_EXIT_MEMORY_FAULT. */
  public void set(long i) {
    check(i);
    long unused = (long) LONG.getAndBitwiseOr(memory.segment(), (i >>> 6) * 8, 1L << (i & 63));
  }

  /** Clears page {@code i} with release ordering: the installed contents are visible before the bit. */
  public void clear(long i) {
    check(i);
    long unused = (long) LONG.getAndBitwiseAndRelease(memory.segment(), (i >>> 6) * 8, ~(1L << (i & 63)));
  }

  public boolean test(long i) {
    check(i);
    return (((long) LONG.getAcquire(memory.segment(), (i >>> 6) * 8)) & (1L << (i & 63))) != 0;
  }

  public void setAll() {
    for (long i = 0; i < pages; i++) set(i);
  }

  private void check(long i) {
    if (i < 0 || i >= pages) throw new IndexOutOfBoundsException("page " + i + " of " + pages);
  }

  @Override
  public void close() {
    memory.close();
  }
}
