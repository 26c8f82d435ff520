package kvmuf.conform;

/**
 * One API-level step a target performs. The records carry the model's action names (spec/README.md,
 * {@code kvmuf.model.Action}) so that a trace step {@code "action":"UffdWake"} is the record {@link UffdWake}
 * here and the action {@code UffdWake} there. The model's hidden fault-path steps (CheckBitmap, Lookup,
 * InstallSpte, CommitMemslot) have no record: no API call performs them, the kernel runs them inside
 * another step.
 *
 * <p>Five steps are API calls the model leaves out (one memslot, no stats, no kernel log): {@link CreateMemslot},
 * {@link SetFlags}, {@link ReadMappings}, {@link EnableUserfaultAt} and {@link ReadKernelWarnings}. They are named for the call they make.
 */
public sealed interface Step {
  /** vCPU {@code vcpu}'s guest reads gfn {@code gfn} (a load by the guest agent). */
  record Access(int vcpu, int gfn) implements Step {}

  /** KVM itself reads gfn {@code gfn} on behalf of vCPU {@code vcpu} (emulation, PV clock): no bitmap check. */
  record KvmAccess(int vcpu, int gfn) implements Step {}

  /**
   * The VMM installs the contents of gfn {@code gfn} without waking anybody: UFFDIO_COPY / UFFDIO_CONTINUE
   * with MODE_DONTWAKE, or a plain write where no userfaultfd covers the slot. The model's {@code Install(v)}
   * (the exit handler of v, DONTWAKE) acts on the gfn of v's exit; a trace names that gfn here.
   */
  record Install(int gfn) implements Step {}

  /** The uffd reader installs gfn {@code gfn} and wakes its waiters: UFFDIO_COPY / UFFDIO_CONTINUE (EEXIST is a result). */
  record UffdInstall(int gfn) implements Step {}

  /**
   * The uffd reader handles one message: {@code read()} on the userfaultfd; {@code gfn} is the one the model expects,
   * handed out first when the kernel sent it (the model's queue is a set; see {@code KernelTarget}).
   */
  record UffdRead(int gfn) implements Step {}

  /** UFFDIO_WAKE over gfn {@code gfn}. */
  record UffdWake(int gfn) implements Step {}

  /** A bitmap store 0 -> 1 for gfn {@code gfn} (KVM Userfault only). */
  record SetBit(int gfn) implements Step {}

  /** The atomic store-release clearing gfn {@code gfn}'s bit (KVM Userfault only). */
  record ClearBit(int gfn) implements Step {}

  /**
   * The exit handler lets vCPU {@code vcpu} go on after a memory-fault exit. It makes no call and shows
   * {@code Done}; the vCPU's next {@link Access} re-enters KVM_RUN, where the guest retries its access.
   */
  record ResumeVcpu(int vcpu) implements Step {}

  /** Flags-only KVM_SET_USER_MEMORY_REGION2 setting KVM_MEM_USERFAULT (1<<3) with the bitmap. */
  record EnableUserfault() implements Step {}

  /** Flags-only update clearing KVM_MEM_USERFAULT. */
  record DisableUserfault() implements Step {}

  /** Flags-only update setting KVM_MEM_LOG_DIRTY_PAGES. */
  record EnableDirtyLog() implements Step {}

  /** Flags-only update clearing KVM_MEM_LOG_DIRTY_PAGES. */
  record DisableDirtyLog() implements Step {}

  /** MADV_DONTNEED on gfn {@code gfn}'s page of the guest's view (guest_memfd: punch hole): the mmu notifier zaps it. */
  record Invalidate(int gfn) implements Step {}

  /** Not a model action: KVM_SET_USER_MEMORY_REGION2 creating slot {@code slot} at {@code gpa} over {@code pages} pages. */
  record CreateMemslot(int slot, long gpa, long pages) implements Step {}

  /**
   * Not a model action: a raw flags-only update of the target's slot to exactly {@code flags}, without the
   * adapter's KVM Userfault gate (for observing refusals; the target's slot bookkeeping does not follow it).
   */
  record SetFlags(int flags) implements Step {}

  /** Not a model action: KVM_GET_STATS_FD's pages_4k and pages_2m (mapping sizes). */
  record ReadMappings() implements Step {}

  /**
   * Not a model action: a flags-only update setting KVM_MEM_USERFAULT with {@code bitmap} as the
   * userfault_bitmap pointer (to see a bad pointer refused; the target's slot bookkeeping does not follow it).
   */
  record EnableUserfaultAt(long bitmap) implements Step {}

  /**
   * Not a model action: the kernel log's WARN records (/dev/kmsg) since this target's previous ReadKernelWarnings;
   * the first one sees every WARN in the log, so a rule takes it, unchecked, as its baseline.
   */
  record ReadKernelWarnings() implements Step {}

  /** The model's action name (or the call's name for the three steps outside the model). */
  default String name() {
    return getClass().getSimpleName();
  }

  /** "Access(v0, g3)"-style text for reports. */
  default String show() {
    return switch (this) {
      case Access a -> "Access(v" + a.vcpu() + ", g" + a.gfn() + ")";
      case KvmAccess a -> "KvmAccess(v" + a.vcpu() + ", g" + a.gfn() + ")";
      case Install a -> "Install(g" + a.gfn() + ")";
      case UffdInstall a -> "UffdInstall(g" + a.gfn() + ")";
      case UffdRead a -> "UffdRead(g" + a.gfn() + ")";
      case UffdWake a -> "UffdWake(g" + a.gfn() + ")";
      case SetBit a -> "SetBit(g" + a.gfn() + ")";
      case ClearBit a -> "ClearBit(g" + a.gfn() + ")";
      case ResumeVcpu a -> "ResumeVcpu(v" + a.vcpu() + ")";
      case CreateMemslot a -> "CreateMemslot(slot " + a.slot() + ", gpa 0x" + Long.toHexString(a.gpa()) + ", " + a.pages() + " pages)";
      case SetFlags a -> "SetFlags(0x" + Integer.toHexString(a.flags()) + ")";
      case EnableUserfaultAt a -> "EnableUserfaultAt(bitmap 0x" + Long.toHexString(a.bitmap()) + ")";
      default -> name() + "()";
    };
  }
}
