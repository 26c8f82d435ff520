package kvmuf.model;

import static kvmuf.model.StateBits.*;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Derives what an API-level step shows outside the kernel from the model states around it: the
 * state {@code before} the visible action and a state {@code after} it (once hidden steps ran).
 *
 * <p>Actors: a vCPU thread ({@code vcpu0}, {@code vcpu1}, ...) issues {@code Access},
 * {@code KvmAccess} and, as its own exit handler, {@code Install}, {@code ClearBit},
 * {@code ResumeVcpu}; the uffd reader thread ({@code uffd}) issues {@code UffdRead},
 * {@code UffdInstall}, {@code UffdWake}; the VMM's control thread ({@code vmm}) issues
 * {@code SetBit}, {@code Invalidate} and the memslot updates; the background fetch thread
 * ({@code fetch}) issues {@code FetchInstall} and {@code FetchClearBit}. {@code CheckBitmap}, {@code Lookup},
 * {@code InstallSpte} and {@code CommitMemslot} are hidden (kernel-internal) and have no actor name.
 * {@link Action#info} is the table all of this is read from.
 *
 * <p>Rules (action: observation of the actor, read from {@code after} unless said otherwise):
 * <ul>
 *   <li>Access(v, g): g mapped before: Read(lastRead[v]). Else by pc[v]: idle with budget[v]
 *       decremented: Read(lastRead[v]), or MmioExit(g*4096, 4, write) where lastRead[v] is none (the fault
 *       re-ran after a DELETE, MmioExit); idle otherwise: Retry (no longer reachable: a retried fault faults
 *       again inside KVM_RUN, InstallSpte); ExitStages: MemoryFaultExit(g*4096,
 *       4096, exitFlags[v]); uffd_waiting: UffdBlocked(g*4096); apf_pending: AsyncPf(g*4096); faulted,
 *       checked, pfn_ready: not determined yet (the fault is still running).</li>
 *   <li>KvmAccess(v, g): idle: KvmRead(lastKvmRead[v]); uffd_waiting: UffdBlocked; checked: not yet.</li>
 *   <li>Install(v): with userfaultfd, Ioctl EEXIST when present[g] before, else ok; without, Done.</li>
 *   <li>ClearBit, ResumeVcpu, SetBit: Done. UffdRead(g): UffdEvent(g*4096, MINOR for minor mode).</li>
 *   <li>UffdInstall(g): Ioctl EEXIST when present[g] before, else ok. UffdWake, Invalidate: Ioctl ok.</li>
 *   <li>Enable/DisableUserfault, Enable/DisableDirtyLog: memslotOp idle after: Ioctl ok; else SrcuWait.</li>
 *   <li>unblocked: a vCPU other than the actor that was in uffd_waiting or apf_pending before and is idle after
 *       (Read, KvmRead, MmioExit as for Access, or Retry for an async PF's page-ready); one that was in uffd_waiting and is in ExitStages
 *       after: MemoryFaultExit (its fault was retried inside KVM_RUN and exited on a bit set meanwhile); "vmm" when a memslot update pending before committed and
 *       the step was not itself a memslot update (Ioctl ok).</li>
 *   <li>pages_4k: gfns with spte = small; pages_2m: gfns with spte = huge, divided by HugeSpan.</li>
 * </ul>
 */
public final class Observations {
  private static final int IDLE = Pc.IDLE.ordinal();
  private static final int UFFD_WAIT = Pc.UFFD_WAITING.ordinal();
  private static final int APF = Pc.APF_PENDING.ordinal();
  private static final List<String> USERFAULT = List.of("USERFAULT");
  private static final List<String> USERFAULT_PRIVATE = List.of("USERFAULT", "PRIVATE");
  private static final List<String> MINOR = List.of("MINOR");
  private static final Observation DONE = new Observation.Done();
  private static final Observation OK = new Observation.Ioctl("ok");
  private static final Observation EEXIST = new Observation.Ioctl("EEXIST");
  private static final Observation RETRY = new Observation.Retry();
  private static final Observation SRCU_WAIT = new Observation.SrcuWait();

  private Observations() {}

  /** True for the kernel-internal actions no API shows (the table in {@link Action#info}). */
  public static boolean hidden(int actionCode) {
    return Action.hidden(actionCode);
  }

  /** True for the API-level actions a trace names (every action but the hidden ones and Finished). */
  public static boolean visible(int actionCode) {
    return Action.visible(actionCode);
  }

  public static String vcpuActor(int vcpu) {
    return Action.Tables.vcpuActor(vcpu);
  }

  /** The thread that issues a visible action: vcpuN, uffd or vmm ({@link Action#actorName()}). */
  public static String actor(Action a) {
    return a.actorName();
  }

  /**
   * The actor's observation of the visible action {@code code} taken in (b, bv), read in a later
   * state (a, av); empty when the actor's call has not returned yet in that state.
   */
  public static Optional<Observation> result(Config c, int code, long[] b, long[] a) {
    int kind = code >>> 6;
    int vcpu = (code >>> 3) & 7;
    int gfn = code & 7;
    return Optional.ofNullable(switch (kind) {
      case Action.ACCESS, Action.ACCESS_WRITE -> {
        // a write on a write-protected SPTE completes at once only through x86's fast path
        boolean completes = kind == Action.ACCESS || getGfn(b, gfn, SPTE_WP) == 0 || c.arch() == Config.Arch.X86;
        if (spte(b, gfn) != 0 && completes) {
          yield new Observation.Read(ValueClass.of(lastRead(a, vcpu)));
        }
        int pc = pc(a, vcpu);
        if (pc == IDLE) {
          yield budget(a, vcpu) < budget(b, vcpu) ? completed(a, vcpu, gfn, kind == Action.ACCESS_WRITE) : RETRY;
        } else if (Pc.exitStage(pc)) {
          yield new Observation.MemoryFaultExit(gfn * PAGE(), PAGE(), flags(a, vcpu));
        } else if (pc == UFFD_WAIT) {
          yield new Observation.UffdBlocked(gfn * PAGE());
        } else if (pc == APF) {
          yield new Observation.AsyncPf(gfn * PAGE());
        }
        yield null;
      }
      case Action.KVM_ACCESS -> {
        int pc = pc(a, vcpu);
        if (pc == IDLE) {
          yield new Observation.KvmRead(ValueClass.of(lastKvmRead(a, vcpu)));
        } else if (pc == UFFD_WAIT) {
          yield new Observation.UffdBlocked(gfn * PAGE());
        }
        yield null;
      }
      case Action.INSTALL -> c.uffdMode() == Config.UffdMode.NONE ? DONE
          : present(b, vgfn(b, vcpu)) ? EEXIST : OK;
      case Action.CLEAR_BIT, Action.RESUME_VCPU, Action.SET_BIT -> DONE;
      case Action.UFFD_READ -> new Observation.UffdEvent(gfn * PAGE(),
          c.uffdMode() == Config.UffdMode.MINOR ? MINOR : List.of());
      case Action.UFFD_INSTALL -> present(b, gfn) ? EEXIST : OK;
      case Action.FETCH_INSTALL -> c.uffdMode() == Config.UffdMode.NONE ? DONE : present(b, gfn) ? EEXIST : OK;
      case Action.FETCH_CLEAR_BIT -> DONE;
      case Action.UFFD_WAKE, Action.INVALIDATE_BEGIN -> OK;
      case Action.GUEST_WORK -> DONE;
      case Action.REMOTE_ACCESS -> get(a, REMOTE_PC) == 3 ? new Observation.Read(ValueClass.of(get(a, LAST_REMOTE_READ)))
          : new Observation.UffdBlocked(gfn * PAGE());
      case Action.DELETE_SLOT, Action.MOVE_SLOT -> op(a) == 0 ? OK : SRCU_WAIT;
      // the guest agent's 4-byte load from a gfn with no memslot
      case Action.MMIO_ACCESS -> new Observation.MmioExit(gfn * PAGE(), 4, false);
      case Action.ENABLE_USERFAULT, Action.DISABLE_USERFAULT, Action.ENABLE_DIRTY_LOG, Action.DISABLE_DIRTY_LOG ->
          op(a) == 0 ? OK : SRCU_WAIT;
      default -> throw new IllegalArgumentException("not an API-level action: " + Action.decode(code));
    });
  }

  /**
   * A guest access that completed: a read of the page's value class, or, where its fault re-ran after a DELETE
   * (MmioExit: lastRead none, no page read), the guest agent's 4-byte MMIO access of the gfn.
   */
  private static Observation completed(long[] a, int vcpu, int gfn, boolean write) {
    int value = lastRead(a, vcpu);
    return value == ValueClass.NONE.ordinal() ? new Observation.MmioExit(gfn * PAGE(), 4, write)
        : new Observation.Read(ValueClass.of(value));
  }

  private static long PAGE() {
    return Observation.PAGE_SIZE;
  }

  /** The full observation of a step, or empty when the actor's call has not returned in a. */
  public static Optional<StepObservation> step(Config c, int code, long[] b, long[] a) {
    Optional<Observation> r = result(c, code, b, a);
    if (r.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new StepObservation(r.get(), unblocked(c, code, b, a), pages4k(c, a), pages2m(c, a)));
  }

  /** The calls of other actors that returned between b and a. */
  public static Map<String, Observation> unblocked(Config c, int code, long[] b, long[] a) {
    Map<String, Observation> out = null;
    int kind = code >>> 6;
    int actorVcpu = Action.actor(code).onVcpuThread() ? (code >>> 3) & 7 : -1;
    for (int u = 0; u < c.vcpus(); u++) {
      if (u == actorVcpu) {
        continue;
      }
      int before = pc(b, u);
      int after = pc(a, u);
      if (before == UFFD_WAIT && Pc.exitStage(after)) {
        // the woken fault was retried inside KVM_RUN (its root obsoleted by the zap on enable, or an
        // invalidation since its snapshot), faulted again and exited on its bit
        if (out == null) {
          out = new TreeMap<>();
        }
        out.put(vcpuActor(u), new Observation.MemoryFaultExit(vgfn(a, u) * PAGE(), PAGE(),
            flags(a, u)));
        continue;
      }
      if ((before == UFFD_WAIT || before == APF) && after == IDLE) {
        Observation o;
        if (budget(a, u) < budget(b, u)) {
          o = vkind(b, u) == KIND_KVM ? new Observation.KvmRead(ValueClass.of(lastKvmRead(a, u)))
              : completed(a, u, vgfn(b, u), getV(b, u, VWRITE) != 0);
        } else {
          o = RETRY;
        }
        if (out == null) {
          out = new TreeMap<>();
        }
        out.put(vcpuActor(u), o);
      }
    }
    boolean memslotAction = kind >= Action.ENABLE_USERFAULT && kind <= Action.DISABLE_DIRTY_LOG;
    if (!memslotAction && op(b) != 0 && op(a) == 0) {
      if (out == null) {
        out = new TreeMap<>();
      }
      out.put("vmm", OK);
    }
    return out == null ? Map.of() : out;
  }

  public static int pages4k(Config c, long[] s) {
    int n = 0;
    for (int x = 0; x < c.numGfns(); x++) {
      if (spte(s, x) == Spte.SMALL.ordinal()) {
        n++;
      }
    }
    return n;
  }

  public static int pages2m(Config c, long[] s) {
    int n = 0;
    for (int x = 0; x < c.numGfns(); x++) {
      if (spte(s, x) == Spte.HUGE.ordinal()) {
        n++;
      }
    }
    return n / c.hugeSpan();
  }

  /** memory_fault.flags of v's exit as the trace names them (exitFlags[v]). */
  private static List<String> flags(long[] s, int vcpu) {
    if (!exitFlags(s, vcpu)) {
      return List.of();
    }
    return exitPrivate(s, vcpu) ? USERFAULT_PRIVATE : USERFAULT;
  }
}
