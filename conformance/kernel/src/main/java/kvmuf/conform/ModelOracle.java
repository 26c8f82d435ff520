package kvmuf.conform;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.Config.UffdMode;
import kvmuf.model.Model;
import kvmuf.model.Pc;
import kvmuf.model.Spte;
import kvmuf.model.State;
import kvmuf.model.StateBits;
import kvmuf.model.ValueClass;
import kvmuf.kvm.UapiProfile;

/**
 * The Java model as the source of expectations: it applies an API-level action (one of the model's own
 * transitions, found among {@link Model#successors(State)}), then closes over the hidden steps no API call
 * performs (CheckBitmap, Lookup, InstallSpte, CommitMemslot) until none is enabled, and says what the
 * step shows outside the kernel, in {@link Observation} terms. With one vCPU acting at a time these hidden
 * steps are deterministic; the closure takes them in the model's successor order.
 */
public final class ModelOracle {
  private static final int MAX_HIDDEN = 200;

  private final Model model;
  private State state;
  private final List<String> applied = new ArrayList<>();

  public ModelOracle(Config config) {
    this.model = new Model(config);
    this.state = model.init();
  }

  public Config config() {
    return model.config();
  }

  public State state() {
    return state;
  }

  /** The actions applied so far, hidden ones included, in order. */
  public List<String> history() {
    return List.copyOf(applied);
  }

  /**
   * Applies {@code action} and the hidden steps after it; returns what the step shows. {@code call} names
   * the ioctl the target issues for an install (the model does not say which one). Throws {@link
   * ModelRefusal} when the model does not allow the action in the current state.
   */
  public Observation step(Action action, String call) {
    State before = state;
    state = take(state, action);
    closeHidden();
    return switch (action) {
      case Action.Access a -> retryingAccess(a, before);
      case Action.KvmAccess a -> vcpuView(a.vcpu(), true);
      // The exit handler lets the vCPU go on: nothing to return; its next Access is the retried one.
      case Action.ResumeVcpu a -> new Observation.Done();
      case Action.UffdInstall a -> {
        boolean eexist = config().uffdMode() != UffdMode.NONE && StateBits.present(before.g(), a.gfn());
        yield new Observation.Ioctl(call, eexist ? "EEXIST" : "ok", woken(before));
      }
      case Action.Install a -> new Observation.Ioctl(
          config().uffdMode() == UffdMode.NONE ? call : call + " (DONTWAKE)", "ok", woken(before));
      case Action.UffdWake a -> new Observation.Ioctl("UFFDIO_WAKE", "ok", woken(before));
      case Action.UffdRead a -> new Observation.UffdMessage(a.gfn(), config().uffdMode() == UffdMode.MINOR);
      case Action.SetBit a -> Observation.Ioctl.of("bitmap store", "ok");
      case Action.ClearBit a -> Observation.Ioctl.of("bitmap store-release", "ok");
      case Action.Invalidate a -> Observation.Ioctl.of(
          config().slotKind() == Config.SlotKind.GMEM ? "fallocate(PUNCH_HOLE)" : "madvise(MADV_DONTNEED)", "ok");
      case Action.EnableUserfault a -> Observation.Ioctl.of("KVM_SET_USER_MEMORY_REGION2", "ok");
      case Action.DisableUserfault a -> Observation.Ioctl.of("KVM_SET_USER_MEMORY_REGION2", "ok");
      case Action.EnableDirtyLog a -> Observation.Ioctl.of("KVM_SET_USER_MEMORY_REGION2", "ok");
      case Action.DisableDirtyLog a -> Observation.Ioctl.of("KVM_SET_USER_MEMORY_REGION2", "ok");
      default -> throw new IllegalArgumentException(action.name() + " is a hidden step, not an API step");
    };
  }

  /** An access whose fault was retried (mmu_invalidate_seq moved) re-executes, as the guest instruction does. */
  private Observation retryingAccess(Action.Access a, State before) {
    int budget = StateBits.budget(before.v(), a.vcpu());
    for (int i = 0; i < 4; i++) {
      boolean idle = StateBits.pc(state.v(), a.vcpu()) == Pc.IDLE.ordinal();
      if (!idle || StateBits.budget(state.v(), a.vcpu()) != budget) break;
      state = take(state, a);
      closeHidden();
    }
    return vcpuView(a.vcpu(), false);
  }

  /** What vCPU v shows: its completed read, its exit, or sleeping in userfaultfd. */
  public Observation vcpuView(int v, boolean kvmRead) {
    long sv = state.v();
    int pc = StateBits.pc(sv, v);
    int g = StateBits.vgfn(sv, v);
    if (pc == Pc.IDLE.ordinal()) {
      return new Observation.Value(ValueClass.of(kvmRead ? StateBits.lastKvmRead(sv, v) : StateBits.lastRead(sv, v)));
    }
    if (pc == Pc.UFFD_WAIT.ordinal() || pc == Pc.APF.ordinal()) return new Observation.Blocked(g);
    if (Pc.exitStage(pc)) {
      return new Observation.MemoryFault(
          KernelTarget.gpa(g), 4096, StateBits.exitFlags(sv, v) ? UapiProfile.KVM_MEMORY_EXIT_FLAG_USERFAULT : 0);
    }
    return new Observation.NoProgress("model: v" + v + " at " + Pc.of(pc).tla);
  }

  /** vCPUs that slept in userfaultfd before the step and do not now: what each shows. */
  private SortedMap<Integer, Observation> woken(State before) {
    SortedMap<Integer, Observation> out = new TreeMap<>();
    for (int v = 0; v < config().vcpus(); v++) {
      boolean slept = StateBits.pc(before.v(), v) == Pc.UFFD_WAIT.ordinal();
      boolean sleeps = StateBits.pc(state.v(), v) == Pc.UFFD_WAIT.ordinal();
      if (slept && !sleeps) out.put(v, vcpuView(v, StateBits.vkind(before.v(), v) == StateBits.KIND_KVM));
    }
    return out;
  }

  /** "KvmAccess(v0, g1)": a model action in the notation of {@link Step#show()}. */
  public static String show(Action a) {
    return switch (a) {
      case Action.Access x -> "Access(v" + x.vcpu() + ", g" + x.gfn() + ")";
      case Action.KvmAccess x -> "KvmAccess(v" + x.vcpu() + ", g" + x.gfn() + ")";
      case Action.CheckBitmap x -> "CheckBitmap(v" + x.vcpu() + ")";
      case Action.Lookup x -> "Lookup(v" + x.vcpu() + ")";
      case Action.InstallSpte x -> "InstallSpte(v" + x.vcpu() + ")";
      case Action.Install x -> "Install(v" + x.vcpu() + ")";
      case Action.ClearBit x -> "ClearBit(v" + x.vcpu() + ")";
      case Action.ResumeVcpu x -> "ResumeVcpu(v" + x.vcpu() + ")";
      case Action.UffdRead x -> "UffdRead(g" + x.gfn() + ")";
      case Action.UffdInstall x -> "UffdInstall(g" + x.gfn() + ")";
      case Action.UffdWake x -> "UffdWake(g" + x.gfn() + ")";
      case Action.SetBit x -> "SetBit(g" + x.gfn() + ")";
      case Action.Invalidate x -> "Invalidate(g" + x.gfn() + ")";
      default -> a.name() + "()";
    };
  }

  /** The stage-2 mapping of gfn {@code g}. */
  public Spte spte(int g) {
    return Spte.of(StateBits.spte(state.g(), g));
  }

  /** How many HugeSpan frames are mapped huge: what KVM's pages_2m counts for the slot. */
  public int hugeFrames() {
    int n = 0;
    for (int f = 0; f < config().numGfns(); f += config().hugeSpan()) if (spte(f) == Spte.HUGE) n++;
    return n;
  }

  private void closeHidden() {
    for (int i = 0; i < MAX_HIDDEN; i++) {
      Model.Transition hidden = null;
      for (Model.Transition t : model.successors(state)) {
        if (t.action().hidden()) {
          hidden = t;
          break;
        }
      }
      if (hidden == null) return;
      applied.add(hidden.action().name() + "*");
      state = hidden.next();
    }
    throw new IllegalStateException("hidden steps did not settle after " + MAX_HIDDEN + " steps: " + applied);
  }

  private State take(State s, Action action) {
    for (Model.Transition t : model.successors(s)) {
      if (t.action().equals(action)) {
        applied.add(action.name());
        return t.next();
      }
    }
    throw new ModelRefusal(action, applied);
  }

  /** The model does not allow the action here: the rule's script (or a changed model) is wrong. */
  public static final class ModelRefusal extends RuntimeException {
    ModelRefusal(Action a, List<String> history) {
      super("the model does not allow " + a + " after " + history);
    }
  }
}
