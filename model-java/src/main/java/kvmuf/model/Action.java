package kvmuf.model;

import java.util.List;
import java.util.Optional;

/**
 * The spec's actions, one record each, with the same names and parameters. The explorer moves
 * actions around as int codes ({@link #code()}, {@link #decode(int)}) so that generating a
 * successor allocates nothing.
 *
 * <p>{@link #info(Action)} is the one table of who performs each action and whether it is hidden
 * (kernel-internal); the trace format, the observations, the oracles and the timeline all read it.
 * A new action adds its row there (the switch is exhaustive, so the compiler asks for it).
 */
public sealed interface Action {
  int ACCESS = 0, KVM_ACCESS = 1, CHECK_BITMAP = 2, LOOKUP = 3, INSTALL_SPTE = 4, INSTALL = 5,
      CLEAR_BIT = 6, RESUME_VCPU = 7, UFFD_READ = 8, UFFD_INSTALL = 9, UFFD_WAKE = 10, SET_BIT = 11,
      INVALIDATE_BEGIN = 12, ENABLE_USERFAULT = 13, DISABLE_USERFAULT = 14, ENABLE_DIRTY_LOG = 15,
      DISABLE_DIRTY_LOG = 16, COMMIT_MEMSLOT = 17, FINISHED = 18, FETCH_INSTALL = 19, FETCH_CLEAR_BIT = 20,
      REENTER_GUEST = 21, INVALIDATE_END = 22, ACCESS_WRITE = 23;

  /** vCPU v's guest touches gfn g. */
  record Access(int vcpu, int gfn) implements Action {}
  /** KVM itself reads gfn g for vCPU v. */
  record KvmAccess(int vcpu, int gfn) implements Action {}
  /** kvm_do_userfault() in the fault path of v. */
  record CheckBitmap(int vcpu) implements Action {}
  /** GUP / guest_memfd lookup for v. */
  record Lookup(int vcpu) implements Action {}
  /** mmu_lock, retry check, SPTE install for v. */
  record InstallSpte(int vcpu) implements Action {}
  /** The exit handler of v installs the page (DONTWAKE). */
  record Install(int vcpu) implements Action {}
  /** The exit handler of v clears the bit. */
  record ClearBit(int vcpu) implements Action {}
  /** The exit handler of v re-enters KVM_RUN. */
  record ResumeVcpu(int vcpu) implements Action {}
  record UffdRead(int gfn) implements Action {}
  record UffdInstall(int gfn) implements Action {}
  record UffdWake(int gfn) implements Action {}
  record SetBit(int gfn) implements Action {}
  /** MADV_DONTNEED / punch hole on g: kvm_mmu_invalidate_begin(), the zap, the page freed. */
  record InvalidateBegin(int gfn) implements Action {}
  record EnableUserfault() implements Action {}
  record DisableUserfault() implements Action {}
  record EnableDirtyLog() implements Action {}
  record DisableDirtyLog() implements Action {}
  record CommitMemslot() implements Action {}
  record Finished() implements Action {}
  /** The VMM's background fetch installs gfn g's content (no fault asked for it). */
  record FetchInstall(int gfn) implements Action {}
  /** The VMM's background fetch clears gfn g's bit. */
  record FetchClearBit(int gfn) implements Action {}
  /** VM-entry after v's fault installed its SPTE while an enable waited: the guest re-executes the access. */
  record ReenterGuest(int vcpu) implements Action {}
  /** The rest of the madvise / punch-hole call on g: kvm_mmu_invalidate_end() (seq up, in_progress down). */
  record InvalidateEnd(int gfn) implements Action {}
  /** vCPU v's guest writes gfn g. */
  record AccessWrite(int vcpu, int gfn) implements Action {}

  /**
   * Who performs an action. A vCPU thread runs the guest's access and KVM's fault path, and also its
   * own exit handler (the VMM code between two KVM_RUNs); the trace format names both {@code vcpuN}.
   */
  enum Actor {
    /** The vCPU thread inside KVM: the guest's access and its fault path. Trace actor {@code vcpuN}. */
    VCPU,
    /** The VMM's exit handler, run on the vCPU's own thread after an exit. Trace actor {@code vcpuN}. */
    EXIT_HANDLER,
    /** The VMM's userfaultfd reader thread. Trace actor {@code uffd}. */
    UFFD_READER,
    /** The VMM's control thread (bitmap stores, madvise, memslot updates). Trace actor {@code vmm}. */
    VMM,
    /** The VMM's background fetch thread (the migration stream: installs and clears with no exit). Trace actor {@code fetch}. */
    FETCH,
    /** The kernel on its own, in no VMM thread's call (an SRCU grace period ending). */
    KERNEL,
    /** Nobody: the end of the run ({@code Finished}). */
    NONE;

    /** Whether the action runs on a vCPU's thread (its vcpu parameter names which). */
    public boolean onVcpuThread() {
      return this == VCPU || this == EXIT_HANDLER;
    }
  }

  /**
   * One row of the action table: its actor and whether it is hidden, i.e. kernel-internal: no API call
   * performs it, the kernel runs it inside another step, and a trace never names it.
   */
  record Info(Actor actor, boolean hidden) {}

  /** The action table (DESIGN sections 3-4, conformance/TRACE-FORMAT.md). */
  static Info info(Action a) {
    return switch (a) {
      case Access x -> new Info(Actor.VCPU, false);
      case KvmAccess x -> new Info(Actor.VCPU, false);
      case CheckBitmap x -> new Info(Actor.VCPU, true);
      case Lookup x -> new Info(Actor.VCPU, true);
      case InstallSpte x -> new Info(Actor.VCPU, true);
      case Install x -> new Info(Actor.EXIT_HANDLER, false);
      case ClearBit x -> new Info(Actor.EXIT_HANDLER, false);
      case ResumeVcpu x -> new Info(Actor.EXIT_HANDLER, false);
      case UffdRead x -> new Info(Actor.UFFD_READER, false);
      case UffdInstall x -> new Info(Actor.UFFD_READER, false);
      case UffdWake x -> new Info(Actor.UFFD_READER, false);
      case SetBit x -> new Info(Actor.VMM, false);
      case InvalidateBegin x -> new Info(Actor.VMM, false);
      case EnableUserfault x -> new Info(Actor.VMM, false);
      case DisableUserfault x -> new Info(Actor.VMM, false);
      case EnableDirtyLog x -> new Info(Actor.VMM, false);
      case DisableDirtyLog x -> new Info(Actor.VMM, false);
      case CommitMemslot x -> new Info(Actor.KERNEL, true);
      case Finished x -> new Info(Actor.NONE, false);
      case FetchInstall x -> new Info(Actor.FETCH, false);
      case FetchClearBit x -> new Info(Actor.FETCH, false);
      case ReenterGuest x -> new Info(Actor.VCPU, true);
      // the end of the same madvise call: no call of its own, a trace never names it
      case InvalidateEnd x -> new Info(Actor.VMM, true);
      case AccessWrite x -> new Info(Actor.VCPU, false);
    };
  }

  /** Who performs this action. */
  default Actor actor() {
    return info(this).actor();
  }

  /** Kernel-internal: no API call performs it (CheckBitmap, Lookup, InstallSpte, ReenterGuest, CommitMemslot, InvalidateEnd). */
  default boolean hidden() {
    return info(this).hidden();
  }

  /** API-level: an actor's call, what a trace names (every action but the hidden ones and Finished). */
  default boolean visible() {
    return !hidden() && actor() != Actor.NONE;
  }

  /** The vCPU whose thread performs this action, or -1 for the other actors. */
  default int actingVcpu() {
    return actor().onVcpuThread() ? (code() >>> 3) & 7 : -1;
  }

  /**
   * The trace format's actor name of a visible action: {@code vcpuN}, {@code uffd} or {@code vmm}.
   * Throws for hidden actions and Finished, which no thread of the VMM issues.
   */
  default String actorName() {
    if (hidden()) {
      return noActor(this); // InvalidateEnd: the VMM's thread, but inside another call (no step of its own)
    }
    return switch (actor()) {
      case VCPU, EXIT_HANDLER -> hidden() ? noActor(this) : Tables.vcpuActor(actingVcpu());
      case UFFD_READER -> "uffd";
      case VMM -> "vmm";
      case FETCH -> "fetch";
      case KERNEL -> noActor(this);
      case NONE -> throw new IllegalArgumentException(name() + " has no actor");
    };
  }

  private static String noActor(Action a) {
    throw new IllegalArgumentException("hidden action " + a);
  }

  /** Whether the action with this int code is hidden (a table lookup: no allocation). */
  static boolean hidden(int code) {
    return Tables.HIDDEN[code >>> 6];
  }

  /** Whether the action with this int code is visible (a table lookup: no allocation). */
  static boolean visible(int code) {
    return Tables.VISIBLE[code >>> 6];
  }

  /** The actor of the action with this int code (a table lookup: no allocation). */
  static Actor actor(int code) {
    return Tables.ACTOR[code >>> 6];
  }

  /** One action of each kind (vCPU 0, gfn 0), in code order. */
  static List<Action> kinds() {
    return Tables.KINDS;
  }

  /** The actor of the action named {@code name} (the spec's name, as TLC prints it), if there is one. */
  static Optional<Actor> actorOf(String name) {
    return Optional.ofNullable(Tables.BY_NAME.get(name)).map(Action::actor);
  }

  /** One action of the kind named {@code name}, if there is one (vCPU 0, gfn 0). */
  static Optional<Action> kindNamed(String name) {
    return Optional.ofNullable(Tables.BY_NAME.get(name));
  }

  static int code(int kind, int vcpu, int gfn) {
    return (kind << 6) | (vcpu << 3) | gfn;
  }

  static Action decode(int code) {
    int kind = code >>> 6;
    int v = (code >>> 3) & 7;
    int g = code & 7;
    return switch (kind) {
      case ACCESS -> new Access(v, g);
      case KVM_ACCESS -> new KvmAccess(v, g);
      case CHECK_BITMAP -> new CheckBitmap(v);
      case LOOKUP -> new Lookup(v);
      case INSTALL_SPTE -> new InstallSpte(v);
      case INSTALL -> new Install(v);
      case CLEAR_BIT -> new ClearBit(v);
      case RESUME_VCPU -> new ResumeVcpu(v);
      case UFFD_READ -> new UffdRead(g);
      case UFFD_INSTALL -> new UffdInstall(g);
      case UFFD_WAKE -> new UffdWake(g);
      case SET_BIT -> new SetBit(g);
      case INVALIDATE_BEGIN -> new InvalidateBegin(g);
      case ENABLE_USERFAULT -> new EnableUserfault();
      case DISABLE_USERFAULT -> new DisableUserfault();
      case ENABLE_DIRTY_LOG -> new EnableDirtyLog();
      case DISABLE_DIRTY_LOG -> new DisableDirtyLog();
      case COMMIT_MEMSLOT -> new CommitMemslot();
      case FINISHED -> new Finished();
      case FETCH_INSTALL -> new FetchInstall(g);
      case FETCH_CLEAR_BIT -> new FetchClearBit(g);
      case REENTER_GUEST -> new ReenterGuest(v);
      case INVALIDATE_END -> new InvalidateEnd(g);
      case ACCESS_WRITE -> new AccessWrite(v, g);
      default -> throw new IllegalArgumentException("no action with code " + code);
    };
  }

  /** The spec's action name, as TLC prints it in a trace. */
  /**
   * "Access(v0, g3)"-style text for reports: the action's name and its parameters, a vCPU as {@code v<i>}
   * and a gfn as {@code g<i>} (read from the record's components, so a new action needs no case here).
   */
  default String show() {
    StringBuilder b = new StringBuilder(name()).append('(');
    var parts = getClass().getRecordComponents();
    for (int i = 0; parts != null && i < parts.length; i++) {
      try {
        Object value = parts[i].getAccessor().invoke(this);
        b.append(i > 0 ? ", " : "").append(parts[i].getName().equals("vcpu") ? "v" : parts[i].getName().equals("gfn") ? "g" : "").append(value);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
    }
    return b.append(')').toString();
  }

  default String name() {
    return getClass().getSimpleName();
  }

  default int code() {
    return switch (this) {
      case Access a -> code(ACCESS, a.vcpu(), a.gfn());
      case KvmAccess a -> code(KVM_ACCESS, a.vcpu(), a.gfn());
      case CheckBitmap a -> code(CHECK_BITMAP, a.vcpu(), 0);
      case Lookup a -> code(LOOKUP, a.vcpu(), 0);
      case InstallSpte a -> code(INSTALL_SPTE, a.vcpu(), 0);
      case Install a -> code(INSTALL, a.vcpu(), 0);
      case ClearBit a -> code(CLEAR_BIT, a.vcpu(), 0);
      case ResumeVcpu a -> code(RESUME_VCPU, a.vcpu(), 0);
      case UffdRead a -> code(UFFD_READ, 0, a.gfn());
      case UffdInstall a -> code(UFFD_INSTALL, 0, a.gfn());
      case UffdWake a -> code(UFFD_WAKE, 0, a.gfn());
      case SetBit a -> code(SET_BIT, 0, a.gfn());
      case InvalidateBegin a -> code(INVALIDATE_BEGIN, 0, a.gfn());
      case EnableUserfault a -> code(ENABLE_USERFAULT, 0, 0);
      case DisableUserfault a -> code(DISABLE_USERFAULT, 0, 0);
      case EnableDirtyLog a -> code(ENABLE_DIRTY_LOG, 0, 0);
      case DisableDirtyLog a -> code(DISABLE_DIRTY_LOG, 0, 0);
      case CommitMemslot a -> code(COMMIT_MEMSLOT, 0, 0);
      case Finished a -> code(FINISHED, 0, 0);
      case FetchInstall a -> code(FETCH_INSTALL, 0, a.gfn());
      case FetchClearBit a -> code(FETCH_CLEAR_BIT, 0, a.gfn());
      case ReenterGuest a -> code(REENTER_GUEST, a.vcpu(), 0);
      case InvalidateEnd a -> code(INVALIDATE_END, 0, a.gfn());
      case AccessWrite a -> code(ACCESS_WRITE, a.vcpu(), a.gfn());
    };
  }

  /** {@link #info(Action)} by kind code, built once from the table. */
  final class Tables {
    static final List<Action> KINDS;
    static final boolean[] HIDDEN;
    static final boolean[] VISIBLE;
    static final Actor[] ACTOR;
    static final java.util.Map<String, Action> BY_NAME;

    static {
      List<Action> kinds = new java.util.ArrayList<>();
      for (int kind = 0; ; kind++) {
        Action a;
        try {
          a = decode(code(kind, 0, 0));
        } catch (IllegalArgumentException end) {
          break;
        }
        kinds.add(a);
      }
      KINDS = List.copyOf(kinds);
      HIDDEN = new boolean[KINDS.size()];
      VISIBLE = new boolean[KINDS.size()];
      ACTOR = new Actor[KINDS.size()];
      java.util.Map<String, Action> byName = new java.util.LinkedHashMap<>();
      for (int k = 0; k < KINDS.size(); k++) {
        Action a = KINDS.get(k);
        HIDDEN[k] = a.hidden();
        VISIBLE[k] = a.visible();
        ACTOR[k] = a.actor();
        byName.put(a.name(), a);
      }
      BY_NAME = java.util.Collections.unmodifiableMap(byName);
    }

    private Tables() {}

    static String vcpuActor(int vcpu) {
      return "vcpu" + vcpu;
    }
  }
}
