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
 * name in spec/KvmUserfault.tla, guard for guard and update for update. An action reads the state
 * {@code s} and builds its successor in {@code n} (a copy of s it changes in place, see
 * {@link #begin}); successors are pushed to a {@link Sink} as (action code, words) so that the
 * explorer's inner loop allocates nothing but one scratch array per expanded state.
 */
public final class Model {

  /** Receives one successor of the state being expanded. */
  @FunctionalInterface
  public interface Sink {
    /** {@code next} is a scratch array, valid only during the call: copy it to keep it. */
    void accept(int action, long[] next);
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
  private static final int OP_DELETE = 5;
  private static final int OP_MOVE = 6;
  // the remote accessor's remotePc
  private static final int R_IDLE = 0;
  private static final int R_WAITING = 1;
  private static final int R_WOKEN = 2;
  private static final int R_DONE = 3;
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
  /** A "gmem-private" slot: its USERFAULT exits carry PRIVATE. */
  private final boolean privateMemory;
  private final boolean mNoPrivateFlag;
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
  private final boolean slotDelete;
  private final boolean slotMove;
  private final boolean remoteAny;
  private final boolean remoteUffd;
  private final boolean mDeleteEarly;
  private final boolean writes;
  private final boolean mFastNoDirty;
  /** The length of a state of this config. */
  private final int words;

  public Model(Config config) {
    this.config = config;
    this.vcpus = config.vcpus();
    this.gfns = config.numGfns();
    this.span = config.hugeSpan();
    this.uffd = config.uffdMode() != UffdMode.NONE;
    this.missing = config.uffdMode() == UffdMode.MISSING;
    this.gmem = config.slotKind().guestMemfd();
    this.privateMemory = config.slotKind() == SlotKind.GMEM_PRIVATE;
    this.mNoPrivateFlag = config.mutant(MutantId.NoPrivateFlag);
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
    this.slotDelete = config.slotChanges() == Config.SlotChanges.DELETE;
    this.slotMove = config.slotChanges() == Config.SlotChanges.MOVE;
    this.remoteAny = config.remoteAccessor() != Config.RemoteAccessor.NONE;
    this.remoteUffd = config.remoteAccessor() == Config.RemoteAccessor.UFFD;
    this.mDeleteEarly = config.mutant(MutantId.DeleteBeforeSrcuWait);
    this.writes = config.writes();
    this.mFastNoDirty = config.mutant(MutantId.FastPathSkipsDirty);
    this.words = StateBits.words(config);
  }


  public Config config() {
    return config;
  }

  // ------------------------------------------------------------------ Init

  public State init() {
    boolean start = config.userfaultUse() == UserfaultUse.START;
    long[] n = new long[words];
    set(n, UF_F, start ? 1 : 0);
    for (int x = 0; x < gfns; x++) {
      setGfn(n, x, BITMAP, start ? 1 : 0);
      setGfn(n, x, PRESENT, gmem ? 1 : 0);
      setGfn(n, x, ARMED, start ? 1 : 0);
    }
    for (int c = 0; c < vcpus; c++) {
      setV(n, c, BUDGET, config.accesses());
    }
    return new State(n);
  }

  // ------------------------------------------------------------------ Next

  public void successors(long[] s, Sink out) {
    long[] n = new long[s.length];
    for (int c = 0; c < vcpus; c++) {
      for (int x = 0; x < gfns; x++) {
        access(s, n, c, x, out);
        kvmAccess(s, n, c, x, out);
      }
    }
    for (int c = 0; c < vcpus; c++) {
      checkBitmap(s, n, c, out);
      lookup(s, n, c, out);
      installSpte(s, n, c, out);
      reenterGuest(s, n, c, out);
    }
    for (int c = 0; c < vcpus; c++) {
      install(s, n, c, out);
      clearBit(s, n, c, out);
      resumeVcpu(s, n, c, out);
    }
    for (int x = 0; x < gfns; x++) {
      uffdRead(s, n, x, out);
      uffdInstall(s, n, x, out);
      uffdWake(s, n, x, out);
    }
    for (int x = 0; x < gfns; x++) {
      setBit(s, n, x, out);
    }
    if (fetch) {
      for (int x = 0; x < gfns; x++) {
        fetchInstall(s, n, x, out);
        fetchClearBit(s, n, x, out);
      }
    }
    enableUserfault(s, n, out);
    disableUserfault(s, n, out);
    enableDirtyLog(s, n, out);
    disableDirtyLog(s, n, out);
    commitMemslot(s, n, out);
    finished(s, n, out);
    // model-b: async PF guest work, the remote accessor, memslot DELETE / MOVE
    if (apfKernel) {
      for (int c = 0; c < vcpus; c++) {
        guestWork(s, n, c, out);
      }
    }
    if (remoteAny) {
      for (int x = 0; x < gfns; x++) {
        remoteAccess(s, n, x, out);
      }
    }
    if (slotDelete || slotMove) {
      deleteSlot(s, n, out);
      moveSlot(s, n, out);
      commitSlotChange(s, n, out);
      for (int c = 0; c < vcpus; c++) {
        for (int x = 0; x < gfns; x++) {
          mmioAccess(s, n, c, x, out);
        }
        mmioExit(s, n, c, out);
      }
    }
    // model-a: the invalidation window, guest writes
    for (int x = 0; x < gfns; x++) {
      invalidateBegin(s, n, x, out);
      invalidateEnd(s, n, x, out);
    }
    if (writes) {
      for (int c = 0; c < vcpus; c++) {
        for (int x = 0; x < gfns; x++) {
          accessWrite(s, n, c, x, out);
        }
      }
    }
  }

  public List<Transition> successors(State s) {
    List<Transition> list = new ArrayList<>();
    successors(s.view(), (a, next) -> list.add(new Transition(Action.decode(a), new State(next))));
    return list;
  }

  /** n := s: the successor starts as a copy of the state (an action then changes what it updates). */
  private static long[] begin(long[] s, long[] n) {
    System.arraycopy(s, 0, n, 0, s.length);
    return n;
  }

  // ------------------------------------------------------------------ helpers

  /** SnapFlags(v): the flags of the slot generation the in-flight access of c uses. */
  private int snapFlags(long[] s, int c) {
    int flags = StateBits.flags(s);
    if (vgen(s, c) == slotGen(s)) {
      return flags;
    }
    return switch (op(s)) {
      case OP_ENABLE -> flags & ~(int) UF;
      case OP_DISABLE -> flags | (int) UF;
      case OP_DIRTY_ON -> flags & ~(int) DL;
      case OP_DIRTY_OFF -> flags | (int) DL;
      default -> flags;
    };
  }

  private static int valueOf(long[] s, int x) {
    if (!present(s, x)) {
      return V_STALE;
    }
    return fetched(s, x) ? V_FETCHED : V_ZERO;
  }

  /** MayStillMap(g): a fault past the bitmap check whose root is not obsolete may still map g. */
  private boolean mayStillMap(long[] s, int x) {
    for (int c = 0; c < vcpus; c++) {
      int pc = pc(s, c);
      if ((pc == CHECKED || pc == UFFD_WAITING || pc == PFN_READY) && vkind(s, c) == KIND_VCPU && vgfn(s, c) == x
          && !stale(s, c)) {
        return true;
      }
    }
    return false;
  }

  private boolean eexist(long[] s, int x) {
    return uffd && present(s, x);
  }

  /** The page lands in n (reads n's own present bit: call before anything else changes gfn x in n). */
  private void installPage(long[] n, int x) {
    if (!(missing && present(n, x))) {
      setGfn(n, x, FETCHED, 1);
    }
    setGfn(n, x, PRESENT, 1);
  }

  /** WakeWaiters(g) in n: pc only (the spec leaves the woken vCPU's other fields as they were). */
  private void wakeVcpus(long[] n, int x) {
    if (remoteAny && get(n, REMOTE_PC) == R_WAITING && get(n, REMOTE_GFN) == x) {
      set(n, REMOTE_PC, R_WOKEN); // the remote accessor's wait on x ends too
    }
    for (int c = 0; c < vcpus; c++) {
      if (vgfn(n, c) == x) {
        int pc = pc(n, c);
        if (pc == UFFD_WAITING) {
          setV(n, c, PC, CHECKED);
        } else if (pc == APF_PENDING) {
          setV(n, c, PC, IDLE);
        }
      }
    }
  }

  /** spte[x] after ApfBypassSpte(g), evaluated on the state s before the wake. */
  private int apfBypassSpte(long[] s, int x) {
    if (!mApfBypass) {
      return spte(s, x);
    }
    for (int c = 0; c < vcpus; c++) {
      if (pc(s, c) == APF_PENDING && vgfn(s, c) == x) {
        return spte(s, x) == SPTE_NONE ? SPTE_SMALL : spte(s, x);
      }
    }
    return spte(s, x);
  }

  private int frameStart(int x) {
    return (x / span) * span;
  }

  /** Recovery of huge mappings in n, frame by frame (each frame reads only itself). */
  private void recover(long[] n) {
    for (int f = 0; f < gfns; f += span) {
      boolean anySmall = false;
      boolean allPresent = true;
      for (int h = f; h < f + span; h++) {
        anySmall |= spte(n, h) == SPTE_SMALL;
        allPresent &= present(n, h);
      }
      if (anySmall && allPresent) {
        for (int h = f; h < f + span; h++) {
          setGfn(n, h, SPTE, SPTE_HUGE);
        }
      }
    }
  }

  private void split(long[] n) {
    for (int x = 0; x < gfns; x++) {
      if (spte(n, x) == SPTE_HUGE) {
        setGfn(n, x, SPTE, SPTE_SMALL);
      }
    }
  }

  private void noSpte(long[] n) {
    for (int x = 0; x < gfns; x++) {
      setGfn(n, x, SPTE, SPTE_NONE);
    }
  }

  private boolean hugeOk(long[] s, int c, int x) {
    int snap = snapFlags(s, c);
    if ((snap & UF) != 0 && !mHuge) {
      return false;
    }
    if ((snap & DL) != 0) {
      return false;
    }
    int f = frameStart(x);
    for (int h = f; h < f + span; h++) {
      if (!present(s, h) || spte(s, h) == SPTE_SMALL) {
        return false;
      }
    }
    return true;
  }

  private void mapFault(long[] s, long[] n, int c, int x) {
    if (hugeOk(s, c, x)) {
      int f = frameStart(x);
      for (int h = f; h < f + span; h++) {
        setGfn(n, h, SPTE, SPTE_HUGE);
      }
      return;
    }
    setGfn(n, x, SPTE, SPTE_SMALL);
  }

  private static void resetVcpu(long[] n, int c) {
    setV(n, c, VGFN, 0);
    setV(n, c, VKIND, KIND_VCPU);
    setV(n, c, VSEQ, 0);
    setV(n, c, STALE, 0);
    setV(n, c, VGEN, 0);
  }

  // ------------------------------------------------------------------ vCPU actions

  void access(long[] s, long[] n, int c, int x, Sink out) {
    if (pc(s, c) != IDLE || budget(s, c) == 0) {
      return;
    }
    if (slotGone(s) || slotChanging(s)) {
      return; // no memslot: MmioAccess; a DELETE / MOVE running: KVM retries the fault until it is done
    }
    begin(s, n);
    if (spte(s, x) != SPTE_NONE) {
      completeAccess(s, n, c, x);
    } else {
      startFault(s, n, c, x);
    }
    out.accept(Action.code(Action.ACCESS, c, x), n);
  }

  /** A guest access of x that finds it mapped completes: c sees x's value class and uses one access of its budget. */
  private static void completeAccess(long[] s, long[] n, int c, int x) {
    setV(n, c, LAST_READ, valueOf(s, x));
    setV(n, c, BUDGET, budget(s, c) - 1);
  }

  /** A guest access of unmapped x starts a stage-2 fault: kvm_mmu_faultin_pfn() snapshots the seq, on this slot. */
  private static void startFault(long[] s, long[] n, int c, int x) {
    setV(n, c, PC, FAULTED);
    setV(n, c, VGFN, x);
    setV(n, c, VKIND, KIND_VCPU);
    setV(n, c, VSEQ, mmuSeq(s));
    setV(n, c, VGEN, slotGen(s));
  }

  void kvmAccess(long[] s, long[] n, int c, int x, Sink out) {
    if (!config.kvmAccesses() || pc(s, c) != IDLE || budget(s, c) == 0) {
      return;
    }
    if (slotChanging(s) || slotGone(s)) {
      return; // gfn_to_hva() of an INVALID or no slot: not modelled
    }
    begin(s, n);
    setV(n, c, PC, CHECKED);
    setV(n, c, VGFN, x);
    setV(n, c, VKIND, KIND_KVM);
    setV(n, c, VGEN, slotGen(s));
    out.accept(Action.code(Action.KVM_ACCESS, c, x), n);
  }

  void checkBitmap(long[] s, long[] n, int c, Sink out) {
    if (pc(s, c) != FAULTED) {
      return;
    }
    if (onInvalidSlot(s, c) || slotGone(s)) {
      return; // retried until the DELETE / MOVE is done (CommitSlotChange), then MmioExit
    }
    int x = vgfn(s, c);
    begin(s, n);
    if (mApfBypass && apfKernel && uffd && !present(s, x)) {
      setV(n, c, PC, APF_PENDING);
      setV(n, c, STALE, 0);
      setGfn(n, x, QUEUED, 1);
    } else if ((snapFlags(s, c) & UF) != 0 && bitmap(s, x)) {
      setV(n, c, PC, EXITED);
      setV(n, c, EXIT_FLAGS, mWrongFlags ? 0 : 1);
      setV(n, c, EXIT_PRIVATE, privateMemory && !mWrongFlags && !mNoPrivateFlag ? 1 : 0);
      setV(n, c, STALE, 0);
    } else {
      setV(n, c, PC, CHECKED);
    }
    out.accept(Action.code(Action.CHECK_BITMAP, c, 0), n);
  }

  void lookup(long[] s, long[] n, int c, Sink out) {
    if (pc(s, c) != CHECKED) {
      return;
    }
    int x = vgfn(s, c);
    boolean kvm = vkind(s, c) == KIND_KVM;
    boolean uffdCatches = uffd && !gmem && !(kvm && mNoUffdKvm);
    begin(s, n);
    if (!present(s, x) && uffdCatches) {
      setV(n, c, PC, (!kvm && apfKernel) ? APF_PENDING : UFFD_WAITING);
      if (!kvm && apfKernel) {
        setV(n, c, STALE, 0);
      }
      setGfn(n, x, QUEUED, 1);
    } else {
      setGfn(n, x, PRESENT, 1);
      if (kvm) {
        setV(n, c, LAST_KVM_READ, valueOf(n, x));
        setV(n, c, BUDGET, budget(s, c) - 1);
        setV(n, c, PC, IDLE);
        resetVcpu(n, c);
      } else {
        setV(n, c, PC, PFN_READY);
      }
    }
    out.accept(Action.code(Action.LOOKUP, c, 0), n);
  }

  /**
   * InstallSpte(v): is_page_fault_stale() under mmu_lock. A retry (RET_PF_RETRY) stays inside KVM_RUN: the
   * guest faults again at once on the same gfn (the spec's Refault), in this same hidden step.
   */
  void installSpte(long[] s, long[] n, int c, Sink out) {
    if (pc(s, c) != PFN_READY) {
      return;
    }
    int x = vgfn(s, c);
    boolean retry = (invalidateRetry(s, c, x) && !mNoSeq) || (stale(s, c) && !mNoStaleRetry);
    begin(s, n);
    setV(n, c, VFREED, 0);
    if (retry) {
      refault(s, n, c, x);
      out.accept(Action.code(Action.INSTALL_SPTE, c, 0), n);
      return;
    }
    boolean write = getV(s, c, VWRITE) != 0;
    wpAfterMap(s, n, c, x);
    mapFault(s, n, c, x);
    // the mapping points at the page the lookup returned: freed since, it is stale
    setGfn(n, x, STALE_SPTE, getV(s, c, VFREED));
    if (write && (snapFlags(s, c) & DL) != 0) {
      setGfn(n, x, DIRTY_BIT, 1); // make_spte(): mark_page_dirty_in_slot()
    }
    // ZapPending: a USERFAULT enable, a DELETE or a MOVE waits to commit, and its zap may come before the read
    int op = op(s);
    boolean zapPending = op == OP_ENABLE || op == OP_DELETE || op == OP_MOVE;
    if (!zapPending) {
      setV(n, c, VWRITE, 0);
    }
    if (zapPending) {
      // the read is not part of the install: KVM drops SRCU before re-entering the guest, so the zap may come first
      setV(n, c, PC, SPTE_INSTALLED);
      setV(n, c, VSEQ, 0);
      setV(n, c, VGEN, 0);
      setV(n, c, STALE, 0);
    } else {
      setV(n, c, PC, IDLE);
      setV(n, c, LAST_READ, valueOf(s, x));
      setV(n, c, BUDGET, budget(s, c) - 1);
      resetVcpu(n, c);
    }
    out.accept(Action.code(Action.INSTALL_SPTE, c, 0), n);
  }

  /** ReenterGuest(v): the guest re-executes the access whose SPTE was installed (Refault). */
  void reenterGuest(long[] s, long[] n, int c, Sink out) {
    if (pc(s, c) != SPTE_INSTALLED) {
      return;
    }
    begin(s, n);
    refault(s, n, c, vgfn(s, c));
    out.accept(Action.code(Action.REENTER_GUEST, c, 0), n);
  }

  /**
   * Refault(v, g) into n (a copy of s): the guest re-executes the retried access; Access(v, g) from idle,
   * budget > 0 by construction.
   */
  private void refault(long[] s, long[] n, int c, int x) {
    boolean write = getV(s, c, VWRITE) != 0;
    boolean wp = getGfn(s, x, SPTE_WP) != 0;
    if (spte(s, x) != SPTE_NONE && (!write || !wp || x86)) {
      setV(n, c, LAST_READ, valueOf(s, x));
      setV(n, c, BUDGET, budget(s, c) - 1);
      setV(n, c, PC, IDLE);
      resetVcpu(n, c);
      setV(n, c, VWRITE, 0);
      if (write && wp) {
        fastFix(s, n, x);
      }
      return;
    }
    setV(n, c, PC, FAULTED);
    setV(n, c, VSEQ, mmuSeq(s));
    setV(n, c, VGEN, slotGen(s));
    setV(n, c, STALE, 0);
  }

  // ------------------------------------------------------------------ the exit handler

  void install(long[] s, long[] n, int c, Sink out) {
    int pc = pc(s, c);
    int next;
    if (pc == EXITED && !mClearFirst) {
      next = PAGE_INSTALLED;
    } else if (pc == BIT_CLEARED) {
      next = RESOLVED;
    } else {
      return;
    }
    begin(s, n);
    installPage(n, vgfn(s, c));
    setV(n, c, PC, next);
    out.accept(Action.code(Action.INSTALL, c, 0), n);
  }

  void clearBit(long[] s, long[] n, int c, Sink out) {
    int pc = pc(s, c);
    int next;
    if (pc == PAGE_INSTALLED) {
      next = RESOLVED;
    } else if (pc == EXITED && mClearFirst) {
      next = BIT_CLEARED;
    } else {
      return;
    }
    int x = vgfn(s, c);
    begin(s, n);
    setGfn(n, x, BITMAP, 0);
    setGfn(n, x, ARMED, 0);
    setV(n, c, PC, next);
    out.accept(Action.code(Action.CLEAR_BIT, c, 0), n);
  }

  void resumeVcpu(long[] s, long[] n, int c, Sink out) {
    if (pc(s, c) != RESOLVED) {
      return;
    }
    begin(s, n);
    setV(n, c, PC, IDLE);
    resetVcpu(n, c);
    setV(n, c, EXIT_FLAGS, 0);
    setV(n, c, EXIT_PRIVATE, 0);
    setV(n, c, VWRITE, 0);
    out.accept(Action.code(Action.RESUME_VCPU, c, 0), n);
  }

  // ------------------------------------------------------------------ the uffd reader

  void uffdRead(long[] s, long[] n, int x, Sink out) {
    if (!queued(s, x) || handling(s, x) != H_NONE) {
      return;
    }
    begin(s, n);
    setGfn(n, x, QUEUED, 0);
    setGfn(n, x, HANDLING, H_READ);
    out.accept(Action.code(Action.UFFD_READ, 0, x), n);
  }

  void uffdInstall(long[] s, long[] n, int x, Sink out) {
    if (handling(s, x) != H_READ) {
      return;
    }
    begin(s, n);
    installPage(n, x);
    if (eexist(s, x)) {
      setGfn(n, x, HANDLING, mNoWake ? H_NONE : H_WAKE);
    } else {
      setGfn(n, x, HANDLING, H_NONE);
      wakeVcpus(n, x);
      setGfn(n, x, QUEUED, 0);
      setGfn(n, x, SPTE, apfBypassSpte(s, x));
    }
    out.accept(Action.code(Action.UFFD_INSTALL, 0, x), n);
  }

  void uffdWake(long[] s, long[] n, int x, Sink out) {
    if (handling(s, x) != H_WAKE) {
      return;
    }
    begin(s, n);
    setGfn(n, x, HANDLING, H_NONE);
    setGfn(n, x, QUEUED, 0);
    setGfn(n, x, SPTE, apfBypassSpte(s, x));
    wakeVcpus(n, x);
    out.accept(Action.code(Action.UFFD_WAKE, 0, x), n);
  }

  // ------------------------------------------------------------------ other VMM requests

  void setBit(long[] s, long[] n, int x, Sink out) {
    if (!late || bitmap(s, x)) {
      return;
    }
    begin(s, n);
    setGfn(n, x, BITMAP, 1);
    setGfn(n, x, ARMED, (spte(s, x) == SPTE_NONE && !mayStillMap(s, x)) ? 1 : 0);
    out.accept(Action.code(Action.SET_BIT, 0, x), n);
  }

  /** The memslot update into n: the new flags, the other slot generation, the pending op. */
  private static void swap(long[] s, long[] n, long newFlags, int op) {
    n[0] = (n[0] & ~(UF | DL)) | newFlags;
    set(n, GEN, 1 - slotGen(s));
    set(n, OP, op);
  }

  void enableUserfault(long[] s, long[] n, Sink out) {
    if (!late || op(s) != OP_IDLE || uf(s) || slotGone(s)) {
      return;
    }
    boolean anyMarked = false;
    for (int x = 0; x < gfns; x++) {
      anyMarked |= bitmap(s, x);
    }
    if (!anyMarked) {
      return;
    }
    begin(s, n);
    swap(s, n, flags(s) | UF, OP_ENABLE);
    if (mZapEarly) {
      noSpte(n);
      unprotectUnmapped(n);
    }
    out.accept(Action.code(Action.ENABLE_USERFAULT, 0, 0), n);
  }

  void disableUserfault(long[] s, long[] n, Sink out) {
    if (useNone || op(s) != OP_IDLE || !uf(s)) {
      return;
    }
    if (!uffd) {
      for (int x = 0; x < gfns; x++) {
        if (bitmap(s, x)) {
          return; // without userfaultfd nothing would catch the marked gfns until a re-enable commits
        }
      }
    }
    // bits may still be set: an abort of post-copy; the next enable re-arms (R5's fix)
    begin(s, n);
    swap(s, n, flags(s) & ~UF, OP_DISABLE);
    set(n, REARM, 1);
    out.accept(Action.code(Action.DISABLE_USERFAULT, 0, 0), n);
  }

  void enableDirtyLog(long[] s, long[] n, Sink out) {
    if (!config.dirtyLog() || dirtyDone(s) || op(s) != OP_IDLE || dl(s) || slotGone(s)) {
      return;
    }
    begin(s, n);
    swap(s, n, flags(s) | DL, OP_DIRTY_ON);
    out.accept(Action.code(Action.ENABLE_DIRTY_LOG, 0, 0), n);
  }

  void disableDirtyLog(long[] s, long[] n, Sink out) {
    if (op(s) != OP_IDLE || !dl(s)) {
      return;
    }
    begin(s, n);
    swap(s, n, flags(s) & ~DL, OP_DIRTY_OFF);
    set(n, DIRTY_DONE, 1);
    out.accept(Action.code(Action.DISABLE_DIRTY_LOG, 0, 0), n);
  }

  void commitMemslot(long[] s, long[] n, Sink out) {
    int op = op(s);
    if (op == OP_IDLE || op == OP_DELETE || op == OP_MOVE) {
      return; // DELETE / MOVE: CommitSlotChange
    }
    for (int c = 0; c < vcpus; c++) {
      if (Pc.srcuStage(pc(s, c)) && vgen(s, c) != slotGen(s)) {
        return;
      }
    }
    begin(s, n);
    set(n, OP, OP_IDLE);
    switch (op) {
      case OP_ENABLE -> {
        if (!(mNoZap || mZapEarly || (rearm(s) && mNoZapRearm))) {
          noSpte(n);
        }
        if (zapAll) {
          for (int c = 0; c < vcpus; c++) {
            if (Pc.srcuStage(pc(s, c)) && vkind(s, c) == KIND_VCPU) {
              setV(n, c, STALE, 1);
            }
          }
        }
        for (int x = 0; x < gfns; x++) {
          setGfn(n, x, ARMED, (bitmap(s, x) && !mayStillMap(n, x)) ? 1 : 0);
        }
      }
      case OP_DISABLE -> {
        if (x86 && (!dl(s) || mRecoverDirty)) {
          recover(n);
        }
      }
      case OP_DIRTY_ON -> split(n);
      case OP_DIRTY_OFF -> {
        if (x86 && !uf(s)) {
          recover(n);
        }
      }
      default -> throw new IllegalStateException("memslotOp " + op);
    }
    // dirty logging on write-protects every mapping; a zap or a recovered huge mapping is not write-protected
    for (int x = 0; x < gfns; x++) {
      int sp = spte(n, x);
      boolean wp = writes && sp != SPTE_NONE && (op == OP_DIRTY_ON || (getGfn(s, x, SPTE_WP) != 0 && sp != SPTE_HUGE));
      setGfn(n, x, SPTE_WP, wp ? 1 : 0);
    }
    out.accept(Action.code(Action.COMMIT_MEMSLOT, 0, 0), n);
  }

  /** mmu_invalidate_retry_gfn(): an invalidation ended since the snapshot, or one is in progress on x. */
  private static boolean invalidateRetry(long[] s, int c, int x) {
    return vseq(s, c) != mmuSeq(s) || (get(s, MMU_IN_PROGRESS) != 0 && get(s, MMU_RANGE_GFN) == x);
  }

  /** InvalidateBegin(g): in_progress up over g, the zap, the page freed (a fault holding it: vfreed). */
  void invalidateBegin(long[] s, long[] n, int x, Sink out) {
    if (get(s, MMU_IN_PROGRESS) != 0 || mmuSeq(s) >= config.maxInvalidate() || !present(s, x)) {
      return;
    }
    if (!uffd) {
      if (!bitmap(s, x)) {
        return;
      }
      if (bgStage(s) != BG_IDLE && bgGfn(s) == x) {
        return;
      }
      for (int c = 0; c < vcpus; c++) {
        if (Pc.exitStage(pc(s, c)) && vgfn(s, c) == x) {
          return;
        }
      }
    }
    begin(s, n);
    set(n, MMU_IN_PROGRESS, 1);
    set(n, MMU_RANGE_GFN, x);
    if (spte(s, x) == SPTE_HUGE) {
      int f = frameStart(x);
      for (int h = f; h < f + span; h++) {
        setGfn(n, h, SPTE, SPTE_NONE);
      }
    } else {
      setGfn(n, x, SPTE, SPTE_NONE);
    }
    setGfn(n, x, PRESENT, 0);
    if (!shmem) {
      setGfn(n, x, FETCHED, 0);
    }
    for (int h = 0; h < gfns; h++) {
      if (spte(n, h) == SPTE_NONE) {
        setGfn(n, h, STALE_SPTE, 0);
      }
    }
    unprotectUnmapped(n);
    for (int c = 0; c < vcpus; c++) {
      if (pc(s, c) == PFN_READY && vgfn(s, c) == x) {
        setV(n, c, VFREED, 1);
      }
    }
    out.accept(Action.code(Action.INVALIDATE_BEGIN, 0, x), n);
  }

  /** InvalidateEnd(g): kvm_mmu_invalidate_end(): seq up, in_progress down. */
  void invalidateEnd(long[] s, long[] n, int x, Sink out) {
    if (get(s, MMU_IN_PROGRESS) == 0 || get(s, MMU_RANGE_GFN) != x) {
      return;
    }
    begin(s, n);
    set(n, SEQ, mmuSeq(s) + 1);
    set(n, MMU_IN_PROGRESS, 0);
    set(n, MMU_RANGE_GFN, 0);
    out.accept(Action.code(Action.INVALIDATE_END, 0, x), n);
  }

  // ------------------------------------------------------------------ writes

  /**
   * AccessWrite(v, g): a writable mapping: the write completes; write-protected: x86's fast_page_fault() fixes
   * it (FastFix) and the write completes, arm64 takes a permission fault; unmapped: a write fault.
   */
  void accessWrite(long[] s, long[] n, int c, int x, Sink out) {
    // as access(): no slot is MmioAccess, and a write during a DELETE / MOVE takes effect after it
    if (pc(s, c) != IDLE || budget(s, c) == 0 || slotGone(s) || slotChanging(s)) {
      return;
    }
    begin(s, n);
    boolean wp = getGfn(s, x, SPTE_WP) != 0;
    if (spte(s, x) != SPTE_NONE && (!wp || x86)) {
      completeAccess(s, n, c, x);
      if (wp) {
        fastFix(s, n, x);
      }
    } else {
      startFault(s, n, c, x);
      setV(n, c, VWRITE, 1);
    }
    out.accept(Action.code(Action.ACCESS_WRITE, c, x), n);
  }

  /** FastFix(g): the SPTE becomes writable; g is marked dirty while dirty logging is on (not under FastPathSkipsDirty). */
  private void fastFix(long[] s, long[] n, int x) {
    setGfn(n, x, SPTE_WP, 0);
    if (dl(s) && !mFastNoDirty) {
      setGfn(n, x, DIRTY_BIT, 1);
    }
  }

  /** WpAfterMap(v, g), before mapFault writes n: a huge mapping is never write-protected; a read's 4K one is in a dirty-logged slot. */
  private void wpAfterMap(long[] s, long[] n, int c, int x) {
    if (hugeOk(s, c, x)) {
      int f = frameStart(x);
      for (int h = f; h < f + span; h++) {
        setGfn(n, h, SPTE_WP, 0);
      }
      return;
    }
    boolean wp = writes && getV(s, c, VWRITE) == 0 && (snapFlags(s, c) & DL) != 0;
    setGfn(n, x, SPTE_WP, wp ? 1 : 0);
  }

  /** spteWp' = [h |-> spteWp[h] /\ spte'[h] # "none"] in n. */
  private void unprotectUnmapped(long[] n) {
    for (int h = 0; h < gfns; h++) {
      if (spte(n, h) == SPTE_NONE) {
        setGfn(n, h, SPTE_WP, 0);
      }
    }
  }


  // ------------------------------------------------------------------ the background fetch

  private static final int BG_IDLE = 0;
  private static final int BG_INSTALLED = 1;
  private static final int BG_CLEARED = 2;

  private static void setBg(long[] n, int gfn, int stage) {
    set(n, BG_GFN, gfn);
    set(n, BG_STAGE, stage);
  }

  void fetchInstall(long[] s, long[] n, int x, Sink out) {
    int stage = bgStage(s);
    boolean start = stage == BG_IDLE && !mFetchClearFirst && bitmap(s, x) && !fetched(s, x);
    boolean finish = stage == BG_CLEARED && bgGfn(s) == x;
    if (!start && !finish) {
      return;
    }
    begin(s, n);
    if (start) {
      setBg(n, x, BG_INSTALLED);
    } else {
      setBg(n, 0, BG_IDLE);
    }
    installPage(n, x);
    if (!eexist(s, x)) {
      wakeVcpus(n, x);
      setGfn(n, x, QUEUED, 0);
      setGfn(n, x, SPTE, apfBypassSpte(s, x));
    }
    out.accept(Action.code(Action.FETCH_INSTALL, 0, x), n);
  }

  void fetchClearBit(long[] s, long[] n, int x, Sink out) {
    int stage = bgStage(s);
    boolean finish = stage == BG_INSTALLED && bgGfn(s) == x;
    boolean start = stage == BG_IDLE && mFetchClearFirst && bitmap(s, x) && !fetched(s, x);
    if (!finish && !start) {
      return;
    }
    begin(s, n);
    if (finish) {
      setBg(n, 0, BG_IDLE);
    } else {
      setBg(n, x, BG_CLEARED);
    }
    setGfn(n, x, BITMAP, 0);
    setGfn(n, x, ARMED, 0);
    out.accept(Action.code(Action.FETCH_CLEAR_BIT, 0, x), n);
  }

  void finished(long[] s, long[] n, Sink out) {
    int remote = get(s, REMOTE_PC);
    if (remote == R_WAITING || remote == R_WOKEN) {
      return;
    }
    for (int c = 0; c < vcpus; c++) {
      if (pc(s, c) != IDLE || budget(s, c) != 0) {
        return;
      }
    }
    out.accept(Action.code(Action.FINISHED, 0, 0), begin(s, n));
  }

  // ------------------------------------------------------------------ model-b: async PF guest work

  /** GuestWork(v): v's guest runs other work while its fault waits as an async PF (apfWork is history). */
  void guestWork(long[] s, long[] n, int c, Sink out) {
    if (pc(s, c) != APF_PENDING || getV(s, c, APF_WORK) != 0) {
      return;
    }
    begin(s, n);
    setV(n, c, APF_WORK, 1);
    out.accept(Action.code(Action.GUEST_WORK, c, 0), n);
  }

  // ------------------------------------------------------------------ model-b: the remote accessor

  /** RemoteAccess(g): another process reads gfn x through its own mapping (userfaultfd-registered or not). */
  void remoteAccess(long[] s, long[] n, int x, Sink out) {
    int rpc = get(s, REMOTE_PC);
    if (!(rpc == R_IDLE || (rpc == R_WOKEN && get(s, REMOTE_GFN) == x))) {
      return;
    }
    begin(s, n);
    if (remoteUffd && !present(s, x)) {
      set(n, REMOTE_PC, R_WAITING);
      set(n, REMOTE_GFN, x);
      setGfn(n, x, QUEUED, 1);
    } else {
      set(n, LAST_REMOTE_READ, remoteUffd ? valueOf(s, x) : (fetched(s, x) ? V_FETCHED : V_ZERO));
      set(n, REMOTE_PC, R_DONE);
      set(n, REMOTE_GFN, 0);
    }
    out.accept(Action.code(Action.REMOTE_ACCESS, 0, x), n);
  }

  // ------------------------------------------------------------------ model-b: memslot DELETE / MOVE

  /** SlotGone: the DELETE has completed. */
  private boolean slotGone(long[] s) {
    return slotDelete && get(s, SLOT_CHANGED) != 0 && op(s) != OP_DELETE;
  }

  /** A DELETE or MOVE is in progress (its INVALID copy is active). */
  private static boolean slotChanging(long[] s) {
    int op = op(s);
    return op == OP_DELETE || op == OP_MOVE;
  }

  /** OnInvalidSlot(v): c's fault started on the INVALID copy: KVM retries it until the change is done. */
  private static boolean onInvalidSlot(long[] s, int c) {
    return slotChanging(s) && vgen(s, c) == slotGen(s);
  }

  void deleteSlot(long[] s, long[] n, Sink out) {
    if (!slotDelete || !startSlotChange(s, n, OP_DELETE)) {
      return;
    }
    if (mDeleteEarly) {
      noSpte(n);
      forgetUnmapped(n);
    }
    out.accept(Action.code(Action.DELETE_SLOT, 0, 0), n);
  }

  void moveSlot(long[] s, long[] n, Sink out) {
    if (!slotMove || !startSlotChange(s, n, OP_MOVE)) {
      return;
    }
    out.accept(Action.code(Action.MOVE_SLOT, 0, 0), n);
  }

  /**
   * DeleteSlot's and MoveSlot's common part: the VMM's one change, only while no memslot update runs; the INVALID
   * copy is swapped in (a new generation) and {@code op} is in progress. False (n untouched) when not enabled.
   */
  private boolean startSlotChange(long[] s, long[] n, int op) {
    if (get(s, SLOT_CHANGED) != 0 || op(s) != OP_IDLE) {
      return false;
    }
    begin(s, n);
    set(n, GEN, 1 - slotGen(s));
    set(n, OP, op);
    set(n, SLOT_CHANGED, 1);
    return true;
  }

  /** CommitSlotChange: after synchronize_srcu() the old slot is zapped; DELETE: gone, MOVE: active at its new address. */
  void commitSlotChange(long[] s, long[] n, Sink out) {
    int op = op(s);
    if (op != OP_DELETE && op != OP_MOVE) {
      return;
    }
    for (int c = 0; c < vcpus; c++) {
      if (Pc.srcuStage(pc(s, c)) && vgen(s, c) != slotGen(s)) {
        return;
      }
    }
    begin(s, n);
    set(n, OP, OP_IDLE);
    if (!(op == OP_DELETE && mDeleteEarly)) {
      noSpte(n);
    }
    forgetUnmapped(n);
    if (op == OP_DELETE) {
      n[0] &= ~(UF | DL); // flags' = {}
    } else {
      for (int x = 0; x < gfns; x++) {
        setGfn(n, x, ARMED, bitmap(s, x) ? 1 : 0);
      }
    }
    out.accept(Action.code(Action.COMMIT_SLOT_CHANGE, 0, 0), n);
  }

  /** MmioAccess(v, g): a guest access to a gfn whose memslot is gone: KVM_EXIT_MMIO, the access completes. */
  void mmioAccess(long[] s, long[] n, int c, int x, Sink out) {
    if (pc(s, c) != IDLE || budget(s, c) == 0 || !slotGone(s)) {
      return;
    }
    begin(s, n);
    setV(n, c, BUDGET, budget(s, c) - 1);
    setV(n, c, LAST_READ, ValueClass.NONE.ordinal()); // no guest page was read
    out.accept(Action.code(Action.MMIO_ACCESS, c, x), n);
  }

  /** MmioExit(v): a fault retried while the DELETE ran re-runs on no slot: KVM_EXIT_MMIO. */
  void mmioExit(long[] s, long[] n, int c, Sink out) {
    if (pc(s, c) != FAULTED || !slotGone(s)) {
      return;
    }
    begin(s, n);
    setV(n, c, BUDGET, budget(s, c) - 1);
    // lastRead none: the access read no guest page, which tells this exit from a completed read in a step's observation
    setV(n, c, LAST_READ, ValueClass.NONE.ordinal());
    setV(n, c, PC, IDLE);
    resetVcpu(n, c);
    setV(n, c, VWRITE, 0); // a retried write fault ends here too
    out.accept(Action.code(Action.MMIO_EXIT, c, 0), n);
  }

  /** A zapped mapping is neither stale nor write-protected: staleSpte', spteWp' follow spte' in n (as InvalidateBegin). */
  private void forgetUnmapped(long[] n) {
    for (int h = 0; h < gfns; h++) {
      if (spte(n, h) == SPTE_NONE) {
        setGfn(n, h, STALE_SPTE, 0);
      }
    }
    unprotectUnmapped(n);
  }
}
