package kvmuf.model;

/**
 * The packed encoding of a state: two longs. {@code g} holds the memslot, the memory of every
 * gfn, userfaultfd and history; {@code v} holds one 20-bit slot per vCPU. Nothing in {@code g}
 * names a vCPU, so vCPU symmetry is a sort of the slots in {@code v}.
 *
 * <pre>
 * g: bit 0 USERFAULT, 1 DIRTY_LOG, 2 slotGen, 3-5 memslotOp, 6-8 mmuSeq, 9 dirtyDone, 10 rearm,
 *    then per gfn (9 bits from 11 + 9*gfn): bitmap, fetched, present, spte(2), uffdHandling(2),
 *    in uffdQueue, armed; then, after the config's last gfn, bgGfn(3) and bgStage(2) (so a config
 *    holds at most 5 gfns, with or without BackgroundFetch)
 * v: per vCPU (21 bits from 21*vcpu): pc(4), vgfn(3), vkind, vseq(3), vgen, budget(3),
 *    exitFlags, lastRead(2), lastKvmRead(2), vstale
 * </pre>
 */
public final class StateBits {
  public static final int MAX_VCPUS = 3;
  public static final int MAX_GFNS = 5;
  public static final int MAX_GFNS_WITH_FETCH = 5;
  public static final int MAX_SEQ = 7;
  public static final int MAX_BUDGET = 7;

  static final long UF = 1L;
  static final long DL = 2L;
  static final int GEN = 2;
  static final int OP = 3;
  static final int SEQ = 6;
  static final int DIRTY_DONE = 9;
  static final int REARM = 10;
  static final int GFN0 = 11;
  static final int GFN_BITS = 9;
  // offsets inside a gfn's field
  static final int BITMAP = 0;
  static final int FETCHED = 1;
  static final int PRESENT = 2;
  static final int SPTE = 3;
  static final int HANDLING = 5;
  static final int QUEUED = 7;
  static final int ARMED = 8;

  static final int SLOT_BITS = 21;
  static final long SLOT_MASK = (1L << SLOT_BITS) - 1;
  // offsets inside a vCPU's slot
  static final int PC = 0;
  static final int VGFN = 4;
  static final int VKIND = 7;
  static final int VSEQ = 8;
  static final int VGEN = 11;
  static final int BUDGET = 12;
  static final int EXIT_FLAGS = 15;
  static final int LAST_READ = 16;
  static final int LAST_KVM_READ = 18;
  static final int STALE = 20;

  public static final int KIND_VCPU = 0;
  public static final int KIND_KVM = 1;

  private StateBits() {}

  static int get(long word, int shift, int width) {
    return (int) ((word >>> shift) & ((1L << width) - 1));
  }

  static long set(long word, int shift, int width, long value) {
    long mask = ((1L << width) - 1) << shift;
    return (word & ~mask) | ((value << shift) & mask);
  }

  // ---- global fields
  public static boolean uf(long g) { return (g & UF) != 0; }
  public static boolean dl(long g) { return (g & DL) != 0; }
  public static int flags(long g) { return (int) (g & 3); }
  public static int slotGen(long g) { return get(g, GEN, 1); }
  public static int op(long g) { return get(g, OP, 3); }
  public static int mmuSeq(long g) { return get(g, SEQ, 3); }
  public static boolean dirtyDone(long g) { return get(g, DIRTY_DONE, 1) != 0; }
  public static boolean rearm(long g) { return get(g, REARM, 1) != 0; }

  static int gfnShift(int gfn, int field) { return GFN0 + GFN_BITS * gfn + field; }
  public static boolean bitmap(long g, int gfn) { return get(g, gfnShift(gfn, BITMAP), 1) != 0; }
  public static boolean fetched(long g, int gfn) { return get(g, gfnShift(gfn, FETCHED), 1) != 0; }
  public static boolean present(long g, int gfn) { return get(g, gfnShift(gfn, PRESENT), 1) != 0; }
  public static int spte(long g, int gfn) { return get(g, gfnShift(gfn, SPTE), 2); }
  public static int handling(long g, int gfn) { return get(g, gfnShift(gfn, HANDLING), 2); }
  public static boolean queued(long g, int gfn) { return get(g, gfnShift(gfn, QUEUED), 1) != 0; }
  public static boolean armed(long g, int gfn) { return get(g, gfnShift(gfn, ARMED), 1) != 0; }

  /** The background fetch's fields sit after the config's last gfn. */
  static int bgShift(int numGfns) { return GFN0 + GFN_BITS * numGfns; }
  public static int bgGfn(long g, int numGfns) { return get(g, bgShift(numGfns), 3); }
  public static int bgStage(long g, int numGfns) { return get(g, bgShift(numGfns) + 3, 2); }

  static long setGfn(long g, int gfn, int field, int width, long value) {
    return set(g, gfnShift(gfn, field), width, value);
  }

  // ---- per-vCPU fields
  static int vshift(int vcpu, int field) { return SLOT_BITS * vcpu + field; }
  public static int pc(long v, int vcpu) { return get(v, vshift(vcpu, PC), 4); }
  public static int vgfn(long v, int vcpu) { return get(v, vshift(vcpu, VGFN), 3); }
  public static int vkind(long v, int vcpu) { return get(v, vshift(vcpu, VKIND), 1); }
  public static int vseq(long v, int vcpu) { return get(v, vshift(vcpu, VSEQ), 3); }
  public static int vgen(long v, int vcpu) { return get(v, vshift(vcpu, VGEN), 1); }
  public static int budget(long v, int vcpu) { return get(v, vshift(vcpu, BUDGET), 3); }
  public static boolean exitFlags(long v, int vcpu) { return get(v, vshift(vcpu, EXIT_FLAGS), 1) != 0; }
  public static int lastRead(long v, int vcpu) { return get(v, vshift(vcpu, LAST_READ), 2); }
  public static int lastKvmRead(long v, int vcpu) { return get(v, vshift(vcpu, LAST_KVM_READ), 2); }
  public static boolean stale(long v, int vcpu) { return get(v, vshift(vcpu, STALE), 1) != 0; }

  static long setV(long v, int vcpu, int field, int width, long value) {
    return set(v, vshift(vcpu, field), width, value);
  }

  /** The canonical representative under vCPU symmetry: the slots sorted ascending. */
  public static long canonicalVcpus(long v, int vcpus) {
    switch (vcpus) {
      case 1:
        return v;
      case 2: {
        long a = v & SLOT_MASK;
        long b = (v >>> SLOT_BITS) & SLOT_MASK;
        return a <= b ? v : (b | (a << SLOT_BITS));
      }
      default: {
        long a = v & SLOT_MASK;
        long b = (v >>> SLOT_BITS) & SLOT_MASK;
        long c = (v >>> (2 * SLOT_BITS)) & SLOT_MASK;
        long t;
        if (a > b) { t = a; a = b; b = t; }
        if (b > c) { t = b; b = c; c = t; }
        if (a > b) { t = a; a = b; b = t; }
        return a | (b << SLOT_BITS) | (c << (2 * SLOT_BITS));
      }
    }
  }
}
