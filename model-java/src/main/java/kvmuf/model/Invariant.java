package kvmuf.model;

import static kvmuf.model.StateBits.*;

/**
 * The spec's invariants by the same names; {@link #holds} reads a packed state. Each comment is
 * the sentence spec/README.md gives for it. This is the reference form, one field at a time; the
 * explorer asks {@link InvariantCheck} (all of a config's invariants at once, several gfns per
 * operation) and this only to name the one that failed. A new invariant goes into both, and
 * InvariantCheckTest compares them.
 */
public enum Invariant {
  /** Every variable is in its type (for packed states: every code is a valid value). */
  TypeOK,
  /** A USERFAULT exit carries exactly the USERFAULT flag. */
  ExitWellFormed,
  /** A stage-2 mapping implies a backing page that still exists and is the page it points at (not one freed since the fault's lookup). */
  NoStaleMapping,
  /** Once a USERFAULT update has committed, every mapping is PAGE_SIZE. */
  SmallOnlyWhileUserfault,
  /** Once a dirty-logging update has committed, no huge mapping exists. */
  NoRecoverWhileDirtyLog,
  /** A gfn marked where no fault could map it any more has no mapping while USERFAULT is on. */
  ArmedNotMapped,
  /** KVM's own accesses never read content that has not been fetched. */
  NoUnfetchedKvmRead,
  /** The guest never reads content that has not been fetched. */
  NoUnfetchedGuestRead,
  /** While a vCPU's stage-2 fault waits for a page fetch, the vCPU is not stopped (KVM's own accesses are synchronous). */
  AsyncPfGuestProgress,
  /** The witness of AsyncPfGuestProgress: no guest work ever ran while a page was fetched (fails where it runs). */
  NoGuestWorkWhileFetching,
  /** A remote accessor never reads content that has not been fetched. */
  NoUnfetchedRemoteRead,
  /** Once a DELETE has completed, nothing maps the deleted slot. */
  NoMappingWithoutSlot,
  /** Once a dirty-logging update has committed, a gfn the guest can write without a fault is in the dirty bitmap. */
  DirtyLogComplete;

  public boolean holds(Config c, long[] s) {
    int gfns = c.numGfns();
    int vcpus = c.vcpus();
    switch (this) {
      case TypeOK -> {
        if (op(s) > MemslotOp.values().length - 1 || mmuSeq(s) > c.maxInvalidate()) {
          return false;
        }
        for (int x = 0; x < gfns; x++) {
          if (spte(s, x) > 2 || handling(s, x) > 2) {
            return false;
          }
        }
        if (c.backgroundFetch() && (bgGfn(s) >= gfns || bgStage(s) > 2)) {
          return false;
        }
        if (get(s, REMOTE_GFN) >= gfns || get(s, MMU_RANGE_GFN) >= gfns) {
          return false;
        }
        for (int p = 0; p < vcpus; p++) {
          if (pc(s, p) > Pc.values().length - 1 || vgfn(s, p) >= gfns || vseq(s, p) > c.maxInvalidate()
              || budget(s, p) > c.accesses()) {
            return false;
          }
        }
        return true;
      }
      case ExitWellFormed -> {
        for (int p = 0; p < vcpus; p++) {
          if (Pc.exitStage(pc(s, p)) && !exitWellFormed(s, p, c.slotKind() == Config.SlotKind.GMEM_PRIVATE)) {
            return false;
          }
        }
        return true;
      }
      case NoStaleMapping -> {
        for (int x = 0; x < gfns; x++) {
          if (spte(s, x) != 0 && (!present(s, x) || getGfn(s, x, STALE_SPTE) != 0)) {
            return false;
          }
        }
        return true;
      }
      case SmallOnlyWhileUserfault -> {
        return !(op(s) == 0 && uf(s)) || noHuge(s, gfns);
      }
      case NoRecoverWhileDirtyLog -> {
        return !(op(s) == 0 && dl(s)) || noHuge(s, gfns);
      }
      case ArmedNotMapped -> {
        if (!(op(s) == 0 && uf(s))) {
          return true;
        }
        for (int x = 0; x < gfns; x++) {
          if (bitmap(s, x) && armed(s, x) && spte(s, x) != 0) {
            return false;
          }
        }
        return true;
      }
      case NoUnfetchedKvmRead -> {
        for (int p = 0; p < vcpus; p++) {
          if (lastKvmRead(s, p) > ValueClass.FETCHED.ordinal()) {
            return false;
          }
        }
        return true;
      }
      case NoUnfetchedGuestRead -> {
        for (int p = 0; p < vcpus; p++) {
          if (lastRead(s, p) > ValueClass.FETCHED.ordinal()) {
            return false;
          }
        }
        return true;
      }
      case AsyncPfGuestProgress -> {
        for (int p = 0; p < vcpus; p++) {
          int pc = pc(s, p);
          if (Pc.exitStage(pc) || (pc == Pc.UFFD_WAITING.ordinal() && vkind(s, p) == KIND_VCPU)) {
            return false;
          }
        }
        return true;
      }
      case NoGuestWorkWhileFetching -> {
        for (int p = 0; p < vcpus; p++) {
          if (getV(s, p, APF_WORK) != 0) {
            return false;
          }
        }
        return true;
      }
      case NoUnfetchedRemoteRead -> {
        return get(s, LAST_REMOTE_READ) <= ValueClass.FETCHED.ordinal();
      }
      case NoMappingWithoutSlot -> {
        boolean gone = c.slotChanges() == Config.SlotChanges.DELETE && get(s, SLOT_CHANGED) != 0
            && op(s) != MemslotOp.DELETE.ordinal();
        if (!gone) {
          return true;
        }
        for (int x = 0; x < gfns; x++) {
          if (spte(s, x) != 0) {
            return false;
          }
        }
        return true;
      }
      case DirtyLogComplete -> {
        if (!(op(s) == 0 && dl(s)) || !c.writes()) {
          return true;
        }
        for (int x = 0; x < gfns; x++) {
          if (spte(s, x) != 0 && getGfn(s, x, SPTE_WP) == 0 && getGfn(s, x, DIRTY_BIT) == 0) {
            return false;
          }
        }
        return true;
      }
      default -> throw new IllegalStateException(name());
    }
  }

  private static boolean noHuge(long[] s, int gfns) {
    for (int x = 0; x < gfns; x++) {
      if (spte(s, x) == 2) {
        return false;
      }
    }
    return true;
  }
}
