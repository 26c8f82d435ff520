package kvmuf.conform;

/**
 * The calls a named rule makes that are not model actions (the model has one memslot, no stats and no kernel
 * log): each is named for the call it makes. Model actions are {@link kvmuf.model.Action}s, performed through
 * {@link KernelTarget#step}; these through {@link KernelTarget#call}.
 */
public sealed interface ApiCall {
  /** KVM_SET_USER_MEMORY_REGION2 creating slot {@code slot} at {@code gpa} over {@code pages} pages. */
  record CreateMemslot(int slot, long gpa, long pages) implements ApiCall {}

  /**
   * A raw flags-only update of the target's slot to exactly {@code flags}, without the adapter's KVM Userfault
   * gate (for observing refusals; the target's slot bookkeeping does not follow it).
   */
  record SetFlags(int flags) implements ApiCall {}

  /** KVM_GET_STATS_FD's pages_4k and pages_2m (mapping sizes): the observation's page counts. */
  record ReadMappings() implements ApiCall {}

  /**
   * A flags-only update setting KVM_MEM_USERFAULT with {@code bitmap} as the userfault_bitmap pointer (to see a
   * bad pointer refused; the target's slot bookkeeping does not follow it).
   */
  record EnableUserfaultAt(long bitmap) implements ApiCall {}

  /**
   * The kernel log's WARN records (/dev/kmsg) since this target's previous ReadKernelWarnings; the first one
   * sees every WARN in the log, so a rule takes it, unchecked, as its baseline.
   */
  record ReadKernelWarnings() implements ApiCall {}

  /** The call's name. */
  default String name() {
    return getClass().getSimpleName();
  }

  /** "CreateMemslot(slot 1, gpa 0x300000, 16 pages)"-style text for reports. */
  default String show() {
    return switch (this) {
      case CreateMemslot a -> "CreateMemslot(slot " + a.slot() + ", gpa 0x" + Long.toHexString(a.gpa()) + ", " + a.pages() + " pages)";
      case SetFlags a -> "SetFlags(0x" + Integer.toHexString(a.flags()) + ")";
      case EnableUserfaultAt a -> "EnableUserfaultAt(bitmap 0x" + Long.toHexString(a.bitmap()) + ")";
      default -> name() + "()";
    };
  }
}
