package kvmuf.model;

/**
 * The packed encoding of a state: a {@code long[]} whose length depends on the config
 * ({@link #words(Config)}). Three regions, each a whole number of words:
 *
 * <pre>
 *   [ global words | gfn words: GFNS_PER_WORD gfn records each | vCPU words: VCPUS_PER_WORD slots each ]
 *   word 0 ...                                                     ... counted from the END of the array
 * </pre>
 *
 * The fields are declared once, below, each with its width; the offsets are handed out in the
 * order of the declarations. A global field never straddles two words; a gfn record and a vCPU slot
 * never straddle two words either, so every read is one load, one shift and one mask, with the
 * offsets constants to the JIT. Nothing outside the vCPU words names a vCPU, so vCPU symmetry is a
 * sort of the slots ({@link #canonicalVcpus}).
 *
 * <h2>How to add a field (one line)</h2>
 * Add a declaration to the matching list below (in your own marked block, so that two branches
 * adding fields at the same time merge without a conflict):
 * <pre>
 *   public static final int MY_FLAG = global(1);      // a global field, 1 bit
 *   public static final int WP = gfnField(1);         // a per-gfn field, 1 bit (one per gfn)
 *   public static final int WRITE = vcpuField(2);     // a per-vCPU field, 2 bits (one per vCPU)
 * </pre>
 * and read/write it with the generic accessors ({@code s} is the state, {@code n} the successor
 * being built, a copy of {@code s} the action changes in place):
 * <pre>
 *   get(s, MY_FLAG)            set(n, MY_FLAG, 1)
 *   getGfn(s, x, WP)           setGfn(n, x, WP, 1)
 *   getV(s, c, WRITE)          setV(n, c, WRITE, 2)
 * </pre>
 * The width is part of the field's handle (no width at the call sites); a value is masked to it.
 * Every layout bound is checked when this class loads (a global region over 64 bits grows a word, a
 * gfn record or vCPU slot over 64 bits fails), the word count of a config follows by itself, and
 * an initial value of 0 needs no code in Init. A new per-vCPU field joins the symmetry sort by being
 * in the slot. Then print it in {@link TlaRender} (its TLA+ variable) and bound it in
 * {@link Invariant#TypeOK} as the spec does.
 *
 * <p>A field handle is an int: bits 0-11 the bit offset (in the region: absolute for a global,
 * inside the record for a gfn or vCPU field), bits 12-17 the width.
 */
public final class StateBits {
  // The running offsets: no initialisers, so the field declarations below (run in textual order
  // when the class loads) see them counting, not reset after.
  private static int globalBits;
  private static int gfnBits;
  private static int vcpuBits;

  // ---- global fields (memslot, history, the background fetch)
  public static final int UF_F = global(1);
  public static final int DL_F = global(1);
  public static final int GEN = global(1);
  public static final int OP = global(3);
  public static final int SEQ = global(3);
  public static final int DIRTY_DONE = global(1);
  public static final int REARM = global(1);
  public static final int BG_GFN = global(3);
  public static final int BG_STAGE = global(2);
  // model-a: global fields here
  /** mmuInProgress: an invalidation has begun and not ended; mmuRangeGfn: its gfn. */
  public static final int MMU_IN_PROGRESS = global(1);
  public static final int MMU_RANGE_GFN = global(3);
  // model-b: global fields here
  /** slotChanged: the one DELETE / MOVE was issued. */
  public static final int SLOT_CHANGED = global(1);
  /** remotePc (R_IDLE, R_WAITING, R_WOKEN, R_DONE), remoteGfn, lastRemoteRead: the remote accessor. */
  public static final int REMOTE_PC = global(2);
  public static final int REMOTE_GFN = global(3);
  public static final int LAST_REMOTE_READ = global(2);

  // ---- per-gfn fields (one record per gfn)
  public static final int BITMAP = gfnField(1);
  public static final int FETCHED = gfnField(1);
  public static final int PRESENT = gfnField(1);
  public static final int SPTE = gfnField(2);
  public static final int HANDLING = gfnField(2);
  public static final int QUEUED = gfnField(1);
  public static final int ARMED = gfnField(1);
  // model-a: per-gfn fields here
  /** staleSpte[g], spteWp[g], dirtyBitmap[g]. */
  public static final int STALE_SPTE = gfnField(1);
  public static final int SPTE_WP = gfnField(1);
  public static final int DIRTY_BIT = gfnField(1);
  // model-b: per-gfn fields here

  // ---- per-vCPU fields (one slot per vCPU)
  public static final int PC = vcpuField(4);
  public static final int VGFN = vcpuField(3);
  public static final int VKIND = vcpuField(1);
  public static final int VSEQ = vcpuField(3);
  public static final int VGEN = vcpuField(1);
  public static final int BUDGET = vcpuField(3);
  public static final int EXIT_FLAGS = vcpuField(1);
  public static final int LAST_READ = vcpuField(2);
  public static final int LAST_KVM_READ = vcpuField(2);
  public static final int STALE = vcpuField(1);
  // model-a: per-vCPU fields here
  /** vfreed[v], vwrite[v]. */
  public static final int VFREED = vcpuField(1);
  public static final int VWRITE = vcpuField(1);
  // model-b: per-vCPU fields here
  /** exitFlags[v] holds PRIVATE (EXIT_FLAGS is its USERFAULT). */
  public static final int EXIT_PRIVATE = vcpuField(1);
  /** apfWork[v]: v's guest ran other work while an async PF of v waited (history). */
  public static final int APF_WORK = vcpuField(1);

  // ---- the layout that follows from the declarations
  /** Words of the global region. */
  public static final int GLOBAL_WORDS = (globalBits + 63) / 64;
  /** Bits of one gfn record and one vCPU slot. */
  public static final int GFN_BITS = gfnBits;
  public static final int SLOT_BITS = vcpuBits;
  public static final int GFNS_PER_WORD = 64 / checkedRecord("gfn record", gfnBits);
  public static final int VCPUS_PER_WORD = 64 / checkedRecord("vCPU slot", vcpuBits);
  static final long SLOT_MASK = vcpuBits == 64 ? -1L : (1L << vcpuBits) - 1;

  /** The bounds the field widths (and the action codes' 3-bit vCPU and gfn numbers) give. */
  public static final int MAX_VCPUS = 8;
  public static final int MAX_GFNS = Math.min(8, 1 << width(VGFN));
  public static final int MAX_GFNS_WITH_FETCH = Math.min(MAX_GFNS, 1 << width(BG_GFN));
  public static final int MAX_SEQ = (1 << width(SEQ)) - 1;
  public static final int MAX_BUDGET = (1 << width(BUDGET)) - 1;

  // the two flag bits as a mask of word 0 (flags(s) and the memslot swap work on both at once)
  static final long UF = 1L << (UF_F & 0xFFF);
  static final long DL = 1L << (DL_F & 0xFFF);

  public static final int KIND_VCPU = 0;
  public static final int KIND_KVM = 1;

  private StateBits() {}

  static {
    if ((UF_F & 0xFFF) != 0 || (DL_F & 0xFFF) != 1) {
      throw new ExceptionInInitializerError("USERFAULT and DIRTY_LOG must be bits 0 and 1 of word 0 (flags)");
    }
  }

  private static int global(int width) {
    if (globalBits % 64 + width > 64) {
      globalBits += 64 - globalBits % 64; // never straddle a word
    }
    int off = globalBits;
    globalBits += width;
    return handle(off, width);
  }

  private static int gfnField(int width) {
    int off = gfnBits;
    gfnBits += width;
    return handle(off, width);
  }

  private static int vcpuField(int width) {
    int off = vcpuBits;
    vcpuBits += width;
    return handle(off, width);
  }

  private static int handle(int off, int width) {
    if (width < 1 || width > 32) {
      throw new ExceptionInInitializerError("field width 1..32, not " + width);
    }
    return off | (width << 12);
  }

  private static int checkedRecord(String what, int bits) {
    if (bits > 64) {
      throw new ExceptionInInitializerError("a " + what + " holds at most 64 bits, not " + bits);
    }
    return bits;
  }

  static int offset(int field) {
    return field & 0xFFF;
  }

  static int width(int field) {
    return field >>> 12;
  }

  private static long mask(int field) {
    return (1L << (field >>> 12)) - 1;
  }

  // ---- sizes

  public static int gfnWords(int numGfns) {
    return (numGfns + GFNS_PER_WORD - 1) / GFNS_PER_WORD;
  }

  public static int vcpuWords(int vcpus) {
    return (vcpus + VCPUS_PER_WORD - 1) / VCPUS_PER_WORD;
  }

  /** The length of a state of config {@code c}. */
  public static int words(Config c) {
    return words(c.numGfns(), c.vcpus());
  }

  public static int words(int numGfns, int vcpus) {
    return GLOBAL_WORDS + gfnWords(numGfns) + vcpuWords(vcpus);
  }

  /**
   * The bits of a state that hold fields, as (word, shift, width) triples in a fixed order: each
   * global word's used bits, then each gfn record, then each vCPU slot. A store can keep just
   * these, side by side ({@link #packedWords}); the rest of a word is always 0.
   */
  public static int[] usedBits(int numGfns, int vcpus) {
    int words = words(numGfns, vcpus);
    int[] out = new int[3 * (GLOBAL_WORDS + numGfns + vcpus)];
    int k = 0;
    for (int w = 0; w < GLOBAL_WORDS; w++) {
      out[k++] = w;
      out[k++] = 0;
      out[k++] = Math.min(64, globalBits - 64 * w);
    }
    for (int x = 0; x < numGfns; x++) {
      out[k++] = gfnWord(x);
      out[k++] = (x % GFNS_PER_WORD) * GFN_BITS;
      out[k++] = GFN_BITS;
    }
    for (int c = 0; c < vcpus; c++) {
      out[k++] = words - 1 - c / VCPUS_PER_WORD;
      out[k++] = (c % VCPUS_PER_WORD) * SLOT_BITS;
      out[k++] = SLOT_BITS;
    }
    return out;
  }

  /** Words that hold {@link #usedBits} packed without gaps. */
  public static int packedWords(int numGfns, int vcpus) {
    long bits = globalBits + (long) numGfns * GFN_BITS + (long) vcpus * SLOT_BITS;
    return (int) ((bits + 63) / 64);
  }

  // ---- generic accessors: read from s, write into n in place

  public static int get(long[] s, int field) {
    int off = field & 0xFFF;
    return (int) ((s[off >>> 6] >>> (off & 63)) & mask(field));
  }

  public static void set(long[] n, int field, long value) {
    int off = field & 0xFFF;
    int w = off >>> 6;
    long m = mask(field) << (off & 63);
    n[w] = (n[w] & ~m) | ((value << (off & 63)) & m);
  }

  static int gfnWord(int gfn) {
    return GLOBAL_WORDS + gfn / GFNS_PER_WORD;
  }

  static int gfnShift(int gfn, int field) {
    return (gfn % GFNS_PER_WORD) * GFN_BITS + (field & 0xFFF);
  }

  public static int getGfn(long[] s, int gfn, int field) {
    return (int) ((s[gfnWord(gfn)] >>> gfnShift(gfn, field)) & mask(field));
  }

  public static void setGfn(long[] n, int gfn, int field, long value) {
    int w = gfnWord(gfn);
    int sh = gfnShift(gfn, field);
    long m = mask(field) << sh;
    n[w] = (n[w] & ~m) | ((value << sh) & m);
  }

  /** vCPU words are counted from the end of the array, so that no accessor needs the gfn count. */
  static int vcpuWord(long[] s, int vcpu) {
    return s.length - 1 - vcpu / VCPUS_PER_WORD;
  }

  static int vcpuShift(int vcpu, int field) {
    return (vcpu % VCPUS_PER_WORD) * SLOT_BITS + (field & 0xFFF);
  }

  public static int getV(long[] s, int vcpu, int field) {
    return (int) ((s[vcpuWord(s, vcpu)] >>> vcpuShift(vcpu, field)) & mask(field));
  }

  public static void setV(long[] n, int vcpu, int field, long value) {
    int w = vcpuWord(n, vcpu);
    int sh = vcpuShift(vcpu, field);
    long m = mask(field) << sh;
    n[w] = (n[w] & ~m) | ((value << sh) & m);
  }

  // ---- named accessors of the fields above (what Model, Invariant, Observations and TlaRender read)
  public static boolean uf(long[] s) { return (s[0] & UF) != 0; }
  public static boolean dl(long[] s) { return (s[0] & DL) != 0; }
  public static int flags(long[] s) { return (int) (s[0] & (UF | DL)); }
  public static int slotGen(long[] s) { return get(s, GEN); }
  public static int op(long[] s) { return get(s, OP); }
  public static int mmuSeq(long[] s) { return get(s, SEQ); }
  public static boolean dirtyDone(long[] s) { return get(s, DIRTY_DONE) != 0; }
  public static boolean rearm(long[] s) { return get(s, REARM) != 0; }
  public static int bgGfn(long[] s) { return get(s, BG_GFN); }
  public static int bgStage(long[] s) { return get(s, BG_STAGE); }

  public static boolean bitmap(long[] s, int gfn) { return getGfn(s, gfn, BITMAP) != 0; }
  public static boolean fetched(long[] s, int gfn) { return getGfn(s, gfn, FETCHED) != 0; }
  public static boolean present(long[] s, int gfn) { return getGfn(s, gfn, PRESENT) != 0; }
  public static int spte(long[] s, int gfn) { return getGfn(s, gfn, SPTE); }
  public static int handling(long[] s, int gfn) { return getGfn(s, gfn, HANDLING); }
  public static boolean queued(long[] s, int gfn) { return getGfn(s, gfn, QUEUED) != 0; }
  public static boolean armed(long[] s, int gfn) { return getGfn(s, gfn, ARMED) != 0; }

  public static int pc(long[] s, int vcpu) { return getV(s, vcpu, PC); }
  public static int vgfn(long[] s, int vcpu) { return getV(s, vcpu, VGFN); }
  public static int vkind(long[] s, int vcpu) { return getV(s, vcpu, VKIND); }
  public static int vseq(long[] s, int vcpu) { return getV(s, vcpu, VSEQ); }
  public static int vgen(long[] s, int vcpu) { return getV(s, vcpu, VGEN); }
  public static int budget(long[] s, int vcpu) { return getV(s, vcpu, BUDGET); }
  public static boolean exitFlags(long[] s, int vcpu) { return getV(s, vcpu, EXIT_FLAGS) != 0; }
  public static boolean exitPrivate(long[] s, int vcpu) { return getV(s, vcpu, EXIT_PRIVATE) != 0; }
  /** The spec's ExitWellFormed for one vCPU in an exit stage: USERFAULT, and PRIVATE exactly when the slot is private. */
  public static boolean exitWellFormed(long[] s, int vcpu, boolean privateMemory) {
    return exitFlags(s, vcpu) && exitPrivate(s, vcpu) == privateMemory;
  }
  public static int lastRead(long[] s, int vcpu) { return getV(s, vcpu, LAST_READ); }
  public static int lastKvmRead(long[] s, int vcpu) { return getV(s, vcpu, LAST_KVM_READ); }
  public static boolean stale(long[] s, int vcpu) { return getV(s, vcpu, STALE) != 0; }

  // ---- vCPU symmetry

  /** Slot {@code vcpu} of s as one number (the order the symmetry sort uses). */
  static long slot(long[] s, int vcpu) {
    return (s[vcpuWord(s, vcpu)] >>> ((vcpu % VCPUS_PER_WORD) * SLOT_BITS)) & SLOT_MASK;
  }

  /**
   * Puts s in its canonical form under vCPU symmetry, in place: the first {@code vcpus} slots
   * sorted ascending (unsigned). Two states that differ only by a renaming of vCPUs get the same
   * form, since every vCPU's variables are in its slot and nothing else names a vCPU.
   */
  public static void canonicalVcpus(long[] s, int vcpus) {
    if (vcpus < 2) {
      return;
    }
    int last = s.length - 1;
    if (VCPUS_PER_WORD >= 2 && vcpus == 2) {
      long w = s[last];
      long a = w & SLOT_MASK;
      long b = (w >>> SLOT_BITS) & SLOT_MASK;
      if (Long.compareUnsigned(a, b) > 0) {
        long keep = w & ~((SLOT_MASK << SLOT_BITS) | SLOT_MASK);
        s[last] = keep | b | (a << SLOT_BITS);
      }
      return;
    }
    if (vcpus <= 4) {
      // up to four slots in locals: a sorting network, no allocation
      long a = slot(s, 0);
      long b = slot(s, 1);
      long c = slot(s, 2);
      long d = vcpus == 4 ? slot(s, 3) : -1L;
      long t;
      if (Long.compareUnsigned(a, b) > 0) { t = a; a = b; b = t; }
      if (Long.compareUnsigned(c, d) > 0) { t = c; c = d; d = t; }
      if (Long.compareUnsigned(a, c) > 0) { t = a; a = c; c = t; }
      if (Long.compareUnsigned(b, d) > 0) { t = b; b = d; d = t; }
      if (Long.compareUnsigned(b, c) > 0) { t = b; b = c; c = t; }
      putSlot(s, 0, a);
      putSlot(s, 1, b);
      putSlot(s, 2, c);
      if (vcpus == 4) {
        putSlot(s, 3, d);
      }
      return;
    }
    long[] slots = new long[vcpus];
    for (int c = 0; c < vcpus; c++) {
      slots[c] = slot(s, c);
    }
    for (int i = 1; i < vcpus; i++) {
      long x = slots[i];
      int j = i - 1;
      while (j >= 0 && Long.compareUnsigned(slots[j], x) > 0) {
        slots[j + 1] = slots[j];
        j--;
      }
      slots[j + 1] = x;
    }
    for (int c = 0; c < vcpus; c++) {
      putSlot(s, c, slots[c]);
    }
  }

  private static void putSlot(long[] s, int vcpu, long value) {
    int w = vcpuWord(s, vcpu);
    int sh = (vcpu % VCPUS_PER_WORD) * SLOT_BITS;
    long m = SLOT_MASK << sh;
    s[w] = (s[w] & ~m) | (value << sh);
  }

  /** A 64-bit fingerprint of the words (see {@link State#fingerprint(long[])}). */
  public static long fingerprint(long[] s) {
    return State.fingerprint(s);
  }
}
