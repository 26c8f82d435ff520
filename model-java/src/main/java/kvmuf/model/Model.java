package kvmuf.model;

import static kvmuf.model.StateBits.*;

import java.util.ArrayList;
import java.util.List;
import kvmuf.model.Config.Arch;
import kvmuf.model.Config.AsyncPf;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;
import kvmuf.model.Config.UserfaultUse;

/**
 * The spec's Init and Next over packed states: each method below is the TLA+ action of the same
 * name in spec/KvmUserfault.tla, guard for guard and update for update. Successors are pushed to
 * a {@link Sink} as (action code, g, v) so that the explorer's inner loop allocates nothing.
 */
public final class Model {

  /** Receives one successor of the state being expanded. */
  @FunctionalInterface
  public interface Sink {
    void accept(int action, long g, long v);
  }

  /** One transition, for callers that prefer objects to codes. */
  public record Transition(Action action, State next) {}

  private static final int SPTE_NONE = 0;
  private static final int SPTE_SMALL = 1;
  private static final int SPTE_HUGE = 2;
  private static final int H_NONE = 0;
  private static final int H_READ = 1;
  private static final int H_WAKE = 2;
  private static final int OP_IDLE = 0;
  private static final int OP_ENABLE = 1;
  private static final int OP_DISABLE = 2;
  private static final int OP_DIRTY_ON = 3;
  private static final int OP_DIRTY_OFF = 4;
  private static final int V_NONE = 0;
  private static final int V_FETCHED = 1;
  private static final int V_ZERO = 2;
  private static final int V_STALE = 3;
  private static final int IDLE = Pc.IDLE.ordinal();
  private static final int FAULTED = Pc.FAULTED.ordinal();
  private static final int CHECKED = Pc.CHECKED.ordinal();
  private static final int UFFD_WAITING = Pc.UFFD_WAITING.ordinal();
  private static final int PFN_READY = Pc.PFN_READY.ordinal();
  private static final int SPTE_INSTALLED = Pc.SPTE_INSTALLED.ordinal();
  private static final int APF_PENDING = Pc.APF_PENDING.ordinal();
  private static final int EXITED = Pc.EXITED.ordinal();
  private static final int BIT_CLEARED = Pc.BIT_CLEARED.ordinal();
  private static final int PAGE_INSTALLED = Pc.PAGE_INSTALLED.ordinal();
  private static final int RESOLVED = Pc.RESOLVED.ordinal();

  private final Config config;
  private final int vcpus;
  private final int gfns;
  private final int span;
  private final boolean uffd;
  private final boolean missing;
  private final boolean gmem;
  private final boolean shmem;
  private final boolean x86;
  private final boolean apfKernel;
  private final boolean late;
  private final boolean useNone;
  private final boolean mHuge;
  private final boolean mNoZap;
  private final boolean mClearFirst;
  private final boolean mNoWake;
  private final boolean mRecoverDirty;
  private final boolean mNoUffdKvm;
  private final boolean mZapEarly;
  private final boolean mNoSeq;
  private final boolean mApfBypass;
  private final boolean mWrongFlags;
  private final boolean mNoStaleRetry;
  private final boolean zapAll;
  private final boolean fetch;
  private final boolean mFetchClearFirst;
  private final boolean mNoZapRearm;
  private final int bg;

  public Model(Config config) {
    this.config = config;
    this.vcpus = config.vcpus();
    this.gfns = config.numGfns();
    this.span = config.hugeSpan();
    this.uffd = config.uffdMode() != UffdMode.NONE;
    this.missing = config.uffdMode() == UffdMode.MISSING;
    this.gmem = config.slotKind() == SlotKind.GMEM;
    this.shmem = config.slotKind() == SlotKind.SHMEM;
    this.x86 = config.arch() == Arch.X86;
    this.apfKernel = config.asyncPf() == AsyncPf.KERNEL;
    this.late = config.userfaultUse() == UserfaultUse.LATE;
    this.useNone = config.userfaultUse() == UserfaultUse.NONE;
    this.mHuge = config.mutant(MutantId.HugeWhileUserfault);
    this.mNoZap = config.mutant(MutantId.NoZapOnEnable);
    this.mClearFirst = config.mutant(MutantId.ClearBeforeInstall);
    this.mNoWake = config.mutant(MutantId.NoWakeOnEexist);
    this.mRecoverDirty = config.mutant(MutantId.RecoverWithDirtyLog);
    this.mNoUffdKvm = config.mutant(MutantId.NoUffdForKvmAccess);
    this.mZapEarly = config.mutant(MutantId.ZapBeforeSrcuWait);
    this.mNoSeq = config.mutant(MutantId.NoSeqRetry);
    this.mApfBypass = config.mutant(MutantId.AsyncPfBypassesBitmap);
    this.mWrongFlags = config.mutant(MutantId.WrongExitFlags);
    this.mNoStaleRetry = config.mutant(MutantId.NoRetryOnObsoleteRoot);
    this.zapAll = config.slotZap() == Config.SlotZap.ALL;
    this.fetch = config.backgroundFetch();
    this.mFetchClearFirst = config.mutant(MutantId.BackgroundClearBeforeInstall);
    this.mNoZapRearm = config.mutant(MutantId.NoZapOnReenable);
    this.bg = StateBits.bgShift(gfns);
  }

  public Config config() {
    return config;
  }

  // ------------------------------------------------------------------ Init

  public State init() {
    boolean start = config.userfaultUse() == UserfaultUse.START;
    long g = start ? UF : 0;
    for (int x = 0; x < gfns; x++) {
      g = setGfn(g, x, BITMAP, 1, start ? 1 : 0);
      g = setGfn(g, x, PRESENT, 1, gmem ? 1 : 0);
      g = setGfn(g, x, ARMED, 1, start ? 1 : 0);
    }
    long v = 0;
    for (int c = 0; c < vcpus; c++) {
      v = setV(v, c, BUDGET, 3, config.accesses());
    }
    return new State(g, v);
  }

  // ------------------------------------------------------------------ Next

  public void successors(long g, long v, Sink out) {
    for (int c = 0; c < vcpus; c++) {
      for (int x = 0; x < gfns; x++) {
        access(g, v, c, x, out);
        kvmAccess(g, v, c, x, out);
      }
    }
    for (int c = 0; c < vcpus; c++) {
      checkBitmap(g, v, c, out);
      lookup(g, v, c, out);
      installSpte(g, v, c, out);
      reenterGuest(g, v, c, out);
    }
    for (int c = 0; c < vcpus; c++) {
      install(g, v, c, out);
      clearBit(g, v, c, out);
      resumeVcpu(g, v, c, out);
    }
    for (int x = 0; x < gfns; x++) {
      uffdRead(g, v, x, out);
      uffdInstall(g, v, x, out);
      uffdWake(g, v, x, out);
    }
    for (int x = 0; x < gfns; x++) {
      setBit(g, v, x, out);
      invalidate(g, v, x, out);
    }
    if (fetch) {
      for (int x = 0; x < gfns; x++) {
        fetchInstall(g, v, x, out);
        fetchClearBit(g, v, x, out);
      }
    }
    enableUserfault(g, v, out);
    disableUserfault(g, v, out);
    enableDirtyLog(g, v, out);
    disableDirtyLog(g, v, out);
    commitMemslot(g, v, out);
    finished(g, v, out);
  }

  public List<Transition> successors(State s) {
    List<Transition> list = new ArrayList<>();
    successors(s.g(), s.v(), (a, ng, nv) -> list.add(new Transition(Action.decode(a), new State(ng, nv))));
    return list;
  }

  // ------------------------------------------------------------------ helpers

  /** SnapFlags(v): the flags of the slot generation the in-flight access of c uses. */
  private int snapFlags(long g, long v, int c) {
    int flags = StateBits.flags(g);
    if (vgen(v, c) == slotGen(g)) {
      return flags;
    }
    return switch (op(g)) {
      case OP_ENABLE -> flags & ~(int) UF;
      case OP_DISABLE -> flags | (int) UF;
      case OP_DIRTY_ON -> flags & ~(int) DL;
      case OP_DIRTY_OFF -> flags | (int) DL;
      default -> flags;
    };
  }

  private static int valueOf(long g, int x) {
    if (!present(g, x)) {
      return V_STALE;
    }
    return fetched(g, x) ? V_FETCHED : V_ZERO;
  }

  /** MayStillMap(g): a fault past the bitmap check whose root is not obsolete may still map g. */
  private boolean mayStillMap(long v, int x) {
    for (int c = 0; c < vcpus; c++) {
      int pc = pc(v, c);
      if ((pc == CHECKED || pc == UFFD_WAITING || pc == PFN_READY) && vkind(v, c) == KIND_VCPU && vgfn(v, c) == x
          && !stale(v, c)) {
        return true;
      }
    }
    return false;
  }

  private boolean eexist(long g, int x) {
    return uffd && present(g, x);
  }

  private long installPage(long g, int x) {
    if (!(missing && present(g, x))) {
      g = setGfn(g, x, FETCHED, 1, 1);
    }
    return setGfn(g, x, PRESENT, 1, 1);
  }

  /** WakeWaiters(g): pc only (the spec leaves the woken vCPU's other fields as they were). */
  private long wokenVcpus(long v, int x) {
    for (int c = 0; c < vcpus; c++) {
      if (vgfn(v, c) == x) {
        int pc = pc(v, c);
        if (pc == UFFD_WAITING) {
          v = setV(v, c, PC, 4, CHECKED);
        } else if (pc == APF_PENDING) {
          v = setV(v, c, PC, 4, IDLE);
        }
      }
    }
    return v;
  }

  /** ApfBypassSpte(g), evaluated on the state before the wake. */
  private long apfBypassSpte(long g, long v, int x) {
    if (!mApfBypass) {
      return g;
    }
    for (int c = 0; c < vcpus; c++) {
      if (pc(v, c) == APF_PENDING && vgfn(v, c) == x) {
        return spte(g, x) == SPTE_NONE ? setGfn(g, x, SPTE, 2, SPTE_SMALL) : g;
      }
    }
    return g;
  }

  private int frameStart(int x) {
    return (x / span) * span;
  }

  private long recovered(long g) {
    long out = g;
    for (int f = 0; f < gfns; f += span) {
      boolean anySmall = false;
      boolean allPresent = true;
      for (int h = f; h < f + span; h++) {
        anySmall |= spte(g, h) == SPTE_SMALL;
        allPresent &= present(g, h);
      }
      if (anySmall && allPresent) {
        for (int h = f; h < f + span; h++) {
          out = setGfn(out, h, SPTE, 2, SPTE_HUGE);
        }
      }
    }
    return out;
  }

  private long split(long g) {
    for (int x = 0; x < gfns; x++) {
      if (spte(g, x) == SPTE_HUGE) {
        g = setGfn(g, x, SPTE, 2, SPTE_SMALL);
      }
    }
    return g;
  }

  private long noSpte(long g) {
    for (int x = 0; x < gfns; x++) {
      g = setGfn(g, x, SPTE, 2, SPTE_NONE);
    }
    return g;
  }

  private boolean hugeOk(long g, long v, int c, int x) {
    int snap = snapFlags(g, v, c);
    if ((snap & UF) != 0 && !mHuge) {
      return false;
    }
    if ((snap & DL) != 0) {
      return false;
    }
    int f = frameStart(x);
    for (int h = f; h < f + span; h++) {
      if (!present(g, h) || spte(g, h) == SPTE_SMALL) {
        return false;
      }
    }
    return true;
  }

  private long mapFault(long g, long v, int c, int x) {
    if (hugeOk(g, v, c, x)) {
      int f = frameStart(x);
      for (int h = f; h < f + span; h++) {
        g = setGfn(g, h, SPTE, 2, SPTE_HUGE);
      }
      return g;
    }
    return setGfn(g, x, SPTE, 2, SPTE_SMALL);
  }

  private static long resetVcpu(long v, int c) {
    v = setV(v, c, VGFN, 3, 0);
    v = setV(v, c, VKIND, 1, KIND_VCPU);
    v = setV(v, c, VSEQ, 3, 0);
    v = setV(v, c, STALE, 1, 0);
    return setV(v, c, VGEN, 1, 0);
  }

  // ------------------------------------------------------------------ vCPU actions

  void access(long g, long v, int c, int x, Sink out) {
    if (pc(v, c) != IDLE || budget(v, c) == 0) {
      return;
    }
    long nv;
    if (spte(g, x) != SPTE_NONE) {
      nv = setV(v, c, LAST_READ, 2, valueOf(g, x));
      nv = setV(nv, c, BUDGET, 3, budget(v, c) - 1);
    } else {
      nv = setV(v, c, PC, 4, FAULTED);
      nv = setV(nv, c, VGFN, 3, x);
      nv = setV(nv, c, VKIND, 1, KIND_VCPU);
      nv = setV(nv, c, VSEQ, 3, mmuSeq(g));
      nv = setV(nv, c, VGEN, 1, slotGen(g));
    }
    out.accept(Action.code(Action.ACCESS, c, x), g, nv);
  }

  void kvmAccess(long g, long v, int c, int x, Sink out) {
    if (!config.kvmAccesses() || pc(v, c) != IDLE || budget(v, c) == 0) {
      return;
    }
    long nv = setV(v, c, PC, 4, CHECKED);
    nv = setV(nv, c, VGFN, 3, x);
    nv = setV(nv, c, VKIND, 1, KIND_KVM);
    nv = setV(nv, c, VGEN, 1, slotGen(g));
    out.accept(Action.code(Action.KVM_ACCESS, c, x), g, nv);
  }

  void checkBitmap(long g, long v, int c, Sink out) {
    if (pc(v, c) != FAULTED) {
      return;
    }
    int x = vgfn(v, c);
    long ng = g;
    long nv;
    if (mApfBypass && apfKernel && uffd && !present(g, x)) {
      nv = setV(v, c, PC, 4, APF_PENDING);
      nv = setV(nv, c, STALE, 1, 0);
      ng = setGfn(g, x, QUEUED, 1, 1);
    } else if ((snapFlags(g, v, c) & UF) != 0 && bitmap(g, x)) {
      nv = setV(v, c, PC, 4, EXITED);
      nv = setV(nv, c, EXIT_FLAGS, 1, mWrongFlags ? 0 : 1);
      nv = setV(nv, c, STALE, 1, 0);
    } else {
      nv = setV(v, c, PC, 4, CHECKED);
    }
    out.accept(Action.code(Action.CHECK_BITMAP, c, 0), ng, nv);
  }

  void lookup(long g, long v, int c, Sink out) {
    if (pc(v, c) != CHECKED) {
      return;
    }
    int x = vgfn(v, c);
    boolean kvm = vkind(v, c) == KIND_KVM;
    boolean uffdCatches = uffd && !gmem && !(kvm && mNoUffdKvm);
    long ng;
    long nv;
    if (!present(g, x) && uffdCatches) {
      nv = setV(v, c, PC, 4, (!kvm && apfKernel) ? APF_PENDING : UFFD_WAITING);
      if (!kvm && apfKernel) {
        nv = setV(nv, c, STALE, 1, 0);
      }
      ng = setGfn(g, x, QUEUED, 1, 1);
    } else {
      ng = setGfn(g, x, PRESENT, 1, 1);
      if (kvm) {
        nv = setV(v, c, LAST_KVM_READ, 2, valueOf(ng, x));
        nv = setV(nv, c, BUDGET, 3, budget(v, c) - 1);
        nv = setV(nv, c, PC, 4, IDLE);
        nv = resetVcpu(nv, c);
      } else {
        nv = setV(v, c, PC, 4, PFN_READY);
      }
    }
    out.accept(Action.code(Action.LOOKUP, c, 0), ng, nv);
  }

  /**
   * InstallSpte(v): is_page_fault_stale() under mmu_lock. A retry (RET_PF_RETRY) stays inside KVM_RUN: the
   * guest faults again at once on the same gfn (the spec's Refault), in this same hidden step.
   */
  void installSpte(long g, long v, int c, Sink out) {
    if (pc(v, c) != PFN_READY) {
      return;
    }
    int x = vgfn(v, c);
    boolean retry = (vseq(v, c) != mmuSeq(g) && !mNoSeq) || (stale(v, c) && !mNoStaleRetry);
    if (retry) {
      out.accept(Action.code(Action.INSTALL_SPTE, c, 0), g, refault(g, v, c, x));
      return;
    }
    long ng = mapFault(g, v, c, x);
    long nv;
    if (op(g) == OP_ENABLE) {
      // the read is not part of the install while an enable waits: the commit's zap may come first
      nv = setV(v, c, PC, 4, SPTE_INSTALLED);
      nv = setV(nv, c, VSEQ, 3, 0);
      nv = setV(nv, c, VGEN, 1, 0);
      nv = setV(nv, c, STALE, 1, 0);
    } else {
      nv = setV(v, c, PC, 4, IDLE);
      nv = setV(nv, c, LAST_READ, 2, valueOf(g, x));
      nv = setV(nv, c, BUDGET, 3, budget(v, c) - 1);
      nv = resetVcpu(nv, c);
    }
    out.accept(Action.code(Action.INSTALL_SPTE, c, 0), ng, nv);
  }

  /** ReenterGuest(v): the guest re-executes the access whose SPTE was installed (Refault). */
  void reenterGuest(long g, long v, int c, Sink out) {
    if (pc(v, c) != SPTE_INSTALLED) {
      return;
    }
    out.accept(Action.code(Action.REENTER_GUEST, c, 0), g, refault(g, v, c, vgfn(v, c)));
  }

  /** Refault(v, g): the guest re-executes the retried access; Access(v, g) from idle, budget > 0 by construction. */
  private long refault(long g, long v, int c, int x) {
    long nv;
    if (spte(g, x) != SPTE_NONE) {
      nv = setV(v, c, LAST_READ, 2, valueOf(g, x));
      nv = setV(nv, c, BUDGET, 3, budget(v, c) - 1);
      nv = setV(nv, c, PC, 4, IDLE);
      return resetVcpu(nv, c);
    }
    nv = setV(v, c, PC, 4, FAULTED);
    nv = setV(nv, c, VSEQ, 3, mmuSeq(g));
    nv = setV(nv, c, VGEN, 1, slotGen(g));
    return setV(nv, c, STALE, 1, 0);
  }

  // ------------------------------------------------------------------ the exit handler

  void install(long g, long v, int c, Sink out) {
    int pc = pc(v, c);
    int next;
    if (pc == EXITED && !mClearFirst) {
      next = PAGE_INSTALLED;
    } else if (pc == BIT_CLEARED) {
      next = RESOLVED;
    } else {
      return;
    }
    out.accept(Action.code(Action.INSTALL, c, 0), installPage(g, vgfn(v, c)), setV(v, c, PC, 4, next));
  }

  void clearBit(long g, long v, int c, Sink out) {
    int pc = pc(v, c);
    int next;
    if (pc == PAGE_INSTALLED) {
      next = RESOLVED;
    } else if (pc == EXITED && mClearFirst) {
      next = BIT_CLEARED;
    } else {
      return;
    }
    int x = vgfn(v, c);
    long ng = setGfn(g, x, BITMAP, 1, 0);
    ng = setGfn(ng, x, ARMED, 1, 0);
    out.accept(Action.code(Action.CLEAR_BIT, c, 0), ng, setV(v, c, PC, 4, next));
  }

  void resumeVcpu(long g, long v, int c, Sink out) {
    if (pc(v, c) != RESOLVED) {
      return;
    }
    long nv = setV(v, c, PC, 4, IDLE);
    nv = resetVcpu(nv, c);
    nv = setV(nv, c, EXIT_FLAGS, 1, 0);
    out.accept(Action.code(Action.RESUME_VCPU, c, 0), g, nv);
  }

  // ------------------------------------------------------------------ the uffd reader

  void uffdRead(long g, long v, int x, Sink out) {
    if (!queued(g, x) || handling(g, x) != H_NONE) {
      return;
    }
    long ng = setGfn(g, x, QUEUED, 1, 0);
    ng = setGfn(ng, x, HANDLING, 2, H_READ);
    out.accept(Action.code(Action.UFFD_READ, 0, x), ng, v);
  }

  void uffdInstall(long g, long v, int x, Sink out) {
    if (handling(g, x) != H_READ) {
      return;
    }
    long ng = installPage(g, x);
    long nv = v;
    if (eexist(g, x)) {
      ng = setGfn(ng, x, HANDLING, 2, mNoWake ? H_NONE : H_WAKE);
    } else {
      ng = setGfn(ng, x, HANDLING, 2, H_NONE);
      nv = wokenVcpus(v, x);
      ng = setGfn(ng, x, QUEUED, 1, 0);
      ng = setGfn(ng, x, SPTE, 2, spte(apfBypassSpte(g, v, x), x));
    }
    out.accept(Action.code(Action.UFFD_INSTALL, 0, x), ng, nv);
  }

  void uffdWake(long g, long v, int x, Sink out) {
    if (handling(g, x) != H_WAKE) {
      return;
    }
    long ng = setGfn(g, x, HANDLING, 2, H_NONE);
    ng = setGfn(ng, x, QUEUED, 1, 0);
    ng = setGfn(ng, x, SPTE, 2, spte(apfBypassSpte(g, v, x), x));
    out.accept(Action.code(Action.UFFD_WAKE, 0, x), ng, wokenVcpus(v, x));
  }

  // ------------------------------------------------------------------ other VMM requests

  void setBit(long g, long v, int x, Sink out) {
    if (!late || bitmap(g, x)) {
      return;
    }
    long ng = setGfn(g, x, BITMAP, 1, 1);
    ng = setGfn(ng, x, ARMED, 1, (spte(g, x) == SPTE_NONE && !mayStillMap(v, x)) ? 1 : 0);
    out.accept(Action.code(Action.SET_BIT, 0, x), ng, v);
  }

  private static long swap(long g, long newFlags, int op) {
    long ng = (g & ~3L) | newFlags;
    ng = set(ng, GEN, 1, 1 - slotGen(g));
    return set(ng, OP, 3, op);
  }

  void enableUserfault(long g, long v, Sink out) {
    if (!late || op(g) != OP_IDLE || uf(g)) {
      return;
    }
    boolean anyMarked = false;
    for (int x = 0; x < gfns; x++) {
      anyMarked |= bitmap(g, x);
    }
    if (!anyMarked) {
      return;
    }
    long ng = swap(g, flags(g) | UF, OP_ENABLE);
    if (mZapEarly) {
      ng = noSpte(ng);
    }
    out.accept(Action.code(Action.ENABLE_USERFAULT, 0, 0), ng, v);
  }

  void disableUserfault(long g, long v, Sink out) {
    if (useNone || op(g) != OP_IDLE || !uf(g)) {
      return;
    }
    if (!uffd) {
      for (int x = 0; x < gfns; x++) {
        if (bitmap(g, x)) {
          return; // without userfaultfd nothing would catch the marked gfns until a re-enable commits
        }
      }
    }
    // bits may still be set: an abort of post-copy; the next enable re-arms (R5's fix)
    long ng = set(swap(g, flags(g) & ~UF, OP_DISABLE), REARM, 1, 1);
    out.accept(Action.code(Action.DISABLE_USERFAULT, 0, 0), ng, v);
  }

  void enableDirtyLog(long g, long v, Sink out) {
    if (!config.dirtyLog() || dirtyDone(g) || op(g) != OP_IDLE || dl(g)) {
      return;
    }
    out.accept(Action.code(Action.ENABLE_DIRTY_LOG, 0, 0), swap(g, flags(g) | DL, OP_DIRTY_ON), v);
  }

  void disableDirtyLog(long g, long v, Sink out) {
    if (op(g) != OP_IDLE || !dl(g)) {
      return;
    }
    long ng = swap(g, flags(g) & ~DL, OP_DIRTY_OFF);
    ng = set(ng, DIRTY_DONE, 1, 1);
    out.accept(Action.code(Action.DISABLE_DIRTY_LOG, 0, 0), ng, v);
  }

  void commitMemslot(long g, long v, Sink out) {
    int op = op(g);
    if (op == OP_IDLE) {
      return;
    }
    for (int c = 0; c < vcpus; c++) {
      if (Pc.srcuStage(pc(v, c)) && vgen(v, c) != slotGen(g)) {
        return;
      }
    }
    long ng = set(g, OP, 3, OP_IDLE);
    long nv = v;
    switch (op) {
      case OP_ENABLE -> {
        if (!(mNoZap || mZapEarly || (rearm(g) && mNoZapRearm))) {
          ng = noSpte(ng);
        }
        if (zapAll) {
          for (int c = 0; c < vcpus; c++) {
            if (Pc.srcuStage(pc(v, c)) && vkind(v, c) == KIND_VCPU) {
              nv = setV(nv, c, STALE, 1, 1);
            }
          }
        }
        for (int x = 0; x < gfns; x++) {
          ng = setGfn(ng, x, ARMED, 1, (bitmap(g, x) && !mayStillMap(nv, x)) ? 1 : 0);
        }
      }
      case OP_DISABLE -> {
        if (x86 && (!dl(g) || mRecoverDirty)) {
          ng = recovered(ng);
        }
      }
      case OP_DIRTY_ON -> ng = split(ng);
      case OP_DIRTY_OFF -> {
        if (x86 && !uf(g)) {
          ng = recovered(ng);
        }
      }
      default -> throw new IllegalStateException("memslotOp " + op);
    }
    out.accept(Action.code(Action.COMMIT_MEMSLOT, 0, 0), ng, nv);
  }

  void invalidate(long g, long v, int x, Sink out) {
    if (mmuSeq(g) >= config.maxInvalidate() || !present(g, x)) {
      return;
    }
    if (!uffd) {
      if (!bitmap(g, x)) {
        return;
      }
      if (bgStage(g) != BG_IDLE && bgGfn(g) == x) {
        return;
      }
      for (int c = 0; c < vcpus; c++) {
        if (Pc.exitStage(pc(v, c)) && vgfn(v, c) == x) {
          return;
        }
      }
    }
    long ng = set(g, SEQ, 3, mmuSeq(g) + 1);
    if (spte(g, x) == SPTE_HUGE) {
      int f = frameStart(x);
      for (int h = f; h < f + span; h++) {
        ng = setGfn(ng, h, SPTE, 2, SPTE_NONE);
      }
    } else {
      ng = setGfn(ng, x, SPTE, 2, SPTE_NONE);
    }
    ng = setGfn(ng, x, PRESENT, 1, 0);
    if (!shmem) {
      ng = setGfn(ng, x, FETCHED, 1, 0);
    }
    out.accept(Action.code(Action.INVALIDATE, 0, x), ng, v);
  }

  // ------------------------------------------------------------------ the background fetch

  private static final int BG_IDLE = 0;
  private static final int BG_INSTALLED = 1;
  private static final int BG_CLEARED = 2;

  private int bgGfn(long g) {
    return get(g, bg, 3);
  }

  private int bgStage(long g) {
    return get(g, bg + 3, 2);
  }

  private long setBg(long g, int gfn, int stage) {
    return set(set(g, bg, 3, gfn), bg + 3, 2, stage);
  }

  void fetchInstall(long g, long v, int x, Sink out) {
    long ng;
    int stage = bgStage(g);
    if (stage == BG_IDLE && !mFetchClearFirst && bitmap(g, x) && !fetched(g, x)) {
      ng = setBg(g, x, BG_INSTALLED);
    } else if (stage == BG_CLEARED && bgGfn(g) == x) {
      ng = setBg(g, 0, BG_IDLE);
    } else {
      return;
    }
    ng = installPage(ng, x);
    long nv = v;
    if (!eexist(g, x)) {
      nv = wokenVcpus(v, x);
      ng = setGfn(ng, x, QUEUED, 1, 0);
      ng = setGfn(ng, x, SPTE, 2, spte(apfBypassSpte(g, v, x), x));
    }
    out.accept(Action.code(Action.FETCH_INSTALL, 0, x), ng, nv);
  }

  void fetchClearBit(long g, long v, int x, Sink out) {
    long ng;
    int stage = bgStage(g);
    if (stage == BG_INSTALLED && bgGfn(g) == x) {
      ng = setBg(g, 0, BG_IDLE);
    } else if (stage == BG_IDLE && mFetchClearFirst && bitmap(g, x) && !fetched(g, x)) {
      ng = setBg(g, x, BG_CLEARED);
    } else {
      return;
    }
    ng = setGfn(ng, x, BITMAP, 1, 0);
    ng = setGfn(ng, x, ARMED, 1, 0);
    out.accept(Action.code(Action.FETCH_CLEAR_BIT, 0, x), ng, v);
  }

  void finished(long g, long v, Sink out) {
    for (int c = 0; c < vcpus; c++) {
      if (pc(v, c) != IDLE || budget(v, c) != 0) {
        return;
      }
    }
    out.accept(Action.code(Action.FINISHED, 0, 0), g, v);
  }
}
