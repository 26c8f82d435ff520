package kvmuf.model;

/**
 * The spec's actions, one record each, with the same names and parameters. The explorer moves
 * actions around as int codes ({@link #code()}, {@link #decode(int)}) so that generating a
 * successor allocates nothing.
 */
public sealed interface Action {
  int ACCESS = 0, KVM_ACCESS = 1, CHECK_BITMAP = 2, LOOKUP = 3, INSTALL_SPTE = 4, INSTALL = 5,
      CLEAR_BIT = 6, RESUME_VCPU = 7, UFFD_READ = 8, UFFD_INSTALL = 9, UFFD_WAKE = 10, SET_BIT = 11,
      INVALIDATE = 12, ENABLE_USERFAULT = 13, DISABLE_USERFAULT = 14, ENABLE_DIRTY_LOG = 15,
      DISABLE_DIRTY_LOG = 16, COMMIT_MEMSLOT = 17, FINISHED = 18, FETCH_INSTALL = 19, FETCH_CLEAR_BIT = 20;

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
  record Invalidate(int gfn) implements Action {}
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
      case INVALIDATE -> new Invalidate(g);
      case ENABLE_USERFAULT -> new EnableUserfault();
      case DISABLE_USERFAULT -> new DisableUserfault();
      case ENABLE_DIRTY_LOG -> new EnableDirtyLog();
      case DISABLE_DIRTY_LOG -> new DisableDirtyLog();
      case COMMIT_MEMSLOT -> new CommitMemslot();
      case FINISHED -> new Finished();
      case FETCH_INSTALL -> new FetchInstall(g);
      case FETCH_CLEAR_BIT -> new FetchClearBit(g);
      default -> throw new IllegalArgumentException("no action with code " + code);
    };
  }

  /** The spec's action name, as TLC prints it in a trace. */
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
      case Invalidate a -> code(INVALIDATE, 0, a.gfn());
      case EnableUserfault a -> code(ENABLE_USERFAULT, 0, 0);
      case DisableUserfault a -> code(DISABLE_USERFAULT, 0, 0);
      case EnableDirtyLog a -> code(ENABLE_DIRTY_LOG, 0, 0);
      case DisableDirtyLog a -> code(DISABLE_DIRTY_LOG, 0, 0);
      case CommitMemslot a -> code(COMMIT_MEMSLOT, 0, 0);
      case Finished a -> code(FINISHED, 0, 0);
      case FetchInstall a -> code(FETCH_INSTALL, 0, a.gfn());
      case FetchClearBit a -> code(FETCH_CLEAR_BIT, 0, a.gfn());
    };
  }
}
