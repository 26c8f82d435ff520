package kvmuf.model;

import static kvmuf.model.StateBits.*;

import java.util.List;

/**
 * Whether a state satisfies every invariant of a config, answered the way the explorer asks it: once per
 * new state, almost always "yes". {@link Invariant#holds} reads one field of one gfn at a time, which made
 * the invariants a third of the explorer's time on {@code default}; here the per-gfn invariants test every
 * gfn record of a word at once (each record's field shifted to the record's bit 0 and masked with the
 * records' bit 0s), and the per-vCPU ones read each slot once. The answer is exactly
 * "every invariant of the config holds" ({@code InvariantCheckTest} compares it with {@link Invariant#holds}
 * on every reachable state of several configs and on random words); which one failed is left to
 * {@link Invariant#holds}, asked only when this says no.
 */
public final class InvariantCheck {
  private final boolean typeOk, exitWellFormed, noStaleMapping, smallOnly, noRecover, armedNotMapped,
      noUnfetchedKvmRead, noUnfetchedGuestRead, asyncPfProgress, noGuestWork, noUnfetchedRemote, noMappingWithoutSlot,
      dirtyLogComplete;
  private final int gfns, vcpus, maxSeq, accesses, maxOp;
  private final boolean fetch, slotDelete, writes;
  /** A "gmem-private" slot: ExitWellFormed wants PRIVATE on every exit. */
  private final boolean privateMemory;
  /** The gfn words: index of the first and, per word, the bit 0 of each record that holds a gfn. */
  private final int gfnWord0;
  private final long[] lanes;

  /** The invariants {@link #allHold} knows; a new one must be added there too, or no explorer run starts. */
  private static final java.util.Set<Invariant> KNOWN = java.util.EnumSet.of(Invariant.TypeOK, Invariant.ExitWellFormed,
      Invariant.NoStaleMapping, Invariant.SmallOnlyWhileUserfault, Invariant.NoRecoverWhileDirtyLog, Invariant.ArmedNotMapped,
      Invariant.NoUnfetchedKvmRead, Invariant.NoUnfetchedGuestRead, Invariant.AsyncPfGuestProgress,
      Invariant.NoGuestWorkWhileFetching, Invariant.NoUnfetchedRemoteRead, Invariant.NoMappingWithoutSlot,
      Invariant.DirtyLogComplete);

  public InvariantCheck(Config c) {
    List<Invariant> inv = c.invariants();
    for (Invariant i : inv) {
      if (!KNOWN.contains(i)) {
        throw new IllegalStateException("InvariantCheck has no fast form of " + i + ": add it to allHold");
      }
    }
    typeOk = inv.contains(Invariant.TypeOK);
    exitWellFormed = inv.contains(Invariant.ExitWellFormed);
    noStaleMapping = inv.contains(Invariant.NoStaleMapping);
    smallOnly = inv.contains(Invariant.SmallOnlyWhileUserfault);
    noRecover = inv.contains(Invariant.NoRecoverWhileDirtyLog);
    armedNotMapped = inv.contains(Invariant.ArmedNotMapped);
    noUnfetchedKvmRead = inv.contains(Invariant.NoUnfetchedKvmRead);
    noUnfetchedGuestRead = inv.contains(Invariant.NoUnfetchedGuestRead);
    asyncPfProgress = inv.contains(Invariant.AsyncPfGuestProgress);
    noGuestWork = inv.contains(Invariant.NoGuestWorkWhileFetching);
    noUnfetchedRemote = inv.contains(Invariant.NoUnfetchedRemoteRead);
    noMappingWithoutSlot = inv.contains(Invariant.NoMappingWithoutSlot);
    dirtyLogComplete = inv.contains(Invariant.DirtyLogComplete);
    gfns = c.numGfns();
    vcpus = c.vcpus();
    maxSeq = c.maxInvalidate();
    accesses = c.accesses();
    maxOp = MemslotOp.values().length - 1;
    fetch = c.backgroundFetch();
    privateMemory = c.slotKind() == Config.SlotKind.GMEM_PRIVATE;
    slotDelete = c.slotChanges() == Config.SlotChanges.DELETE;
    writes = c.writes();
    gfnWord0 = GLOBAL_WORDS;
    lanes = new long[gfnWords(gfns)];
    for (int x = 0; x < gfns; x++) {
      lanes[x / GFNS_PER_WORD] |= 1L << ((x % GFNS_PER_WORD) * GFN_BITS);
    }
  }

  /** Field {@code field} of every record of gfn word {@code w}, at each record's bit 0 (1-bit fields; for wider ones its bit {@code bit}). */
  private static long at(long w, int field, int bit) {
    return w >>> (offset(field) + bit);
  }

  /** True when every invariant of the config holds in s. */
  public boolean allHold(long[] s) {
    long g0 = s[0];
    boolean idle = get(s, OP) == 0; // memslotOp = "idle": the last update has committed
    if (typeOk && !globalsTyped(s)) {
      return false;
    }
    boolean gone = noMappingWithoutSlot && slotDelete && get(s, SLOT_CHANGED) != 0 && get(s, OP) != MemslotOp.DELETE.ordinal();
    boolean checkHuge = (smallOnly && idle && (g0 & UF) != 0) || (noRecover && idle && (g0 & DL) != 0);
    boolean checkArmed = armedNotMapped && idle && (g0 & UF) != 0;
    boolean checkDirty = dirtyLogComplete && writes && idle && (g0 & DL) != 0;
    for (int k = 0; k < lanes.length; k++) {
      long w = s[gfnWord0 + k];
      long l = lanes[k];
      long spteLo = at(w, SPTE, 0);
      long spteHi = at(w, SPTE, 1);
      long mapped = (spteLo | spteHi) & l;
      if (typeOk && (((spteLo & spteHi) | (at(w, HANDLING, 0) & at(w, HANDLING, 1))) & l) != 0) {
        return false; // a 2-bit code 3: no such SPTE or handling value
      }
      if (noStaleMapping && (mapped & (~at(w, PRESENT, 0) | at(w, STALE_SPTE, 0))) != 0) {
        return false;
      }
      if (checkHuge && (spteHi & ~spteLo & l) != 0) {
        return false;
      }
      if (checkArmed && (mapped & at(w, BITMAP, 0) & at(w, ARMED, 0)) != 0) {
        return false;
      }
      if (gone && mapped != 0) {
        return false;
      }
      if (checkDirty && (mapped & ~at(w, SPTE_WP, 0) & ~at(w, DIRTY_BIT, 0)) != 0) {
        return false;
      }
    }
    if (noUnfetchedRemote && get(s, LAST_REMOTE_READ) > ValueClass.FETCHED.ordinal()) {
      return false;
    }
    for (int p = 0; p < vcpus; p++) {
      int pc = pc(s, p);
      if (typeOk && (pc > Pc.values().length - 1 || vgfn(s, p) >= gfns || vseq(s, p) > maxSeq || budget(s, p) > accesses)) {
        return false;
      }
      if (exitWellFormed && Pc.exitStage(pc) && !StateBits.exitWellFormed(s, p, privateMemory)) {
        return false;
      }
      if (noUnfetchedKvmRead && lastKvmRead(s, p) > ValueClass.FETCHED.ordinal()) {
        return false;
      }
      if (noUnfetchedGuestRead && lastRead(s, p) > ValueClass.FETCHED.ordinal()) {
        return false;
      }
      if (asyncPfProgress && (Pc.exitStage(pc) || (pc == Pc.UFFD_WAITING.ordinal() && vkind(s, p) == KIND_VCPU))) {
        return false;
      }
      if (noGuestWork && getV(s, p, APF_WORK) != 0) {
        return false;
      }
    }
    return true;
  }

  private boolean globalsTyped(long[] s) {
    if (get(s, OP) > maxOp || get(s, SEQ) > maxSeq) {
      return false;
    }
    if (fetch && (get(s, BG_GFN) >= gfns || get(s, BG_STAGE) > 2)) {
      return false;
    }
    return get(s, REMOTE_GFN) < gfns && get(s, MMU_RANGE_GFN) < gfns;
  }
}
