package kvmuf.trace;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.State;
import kvmuf.model.StepObservation;

/**
 * A shortest trace to one kind of memslot update (USERFAULT or dirty logging on or off, DELETE, MOVE), then an
 * access of each gfn by a vCPU that can make one. A kernel bug in an update path shows on the first fault after
 * it: a flags-only change that loses the guest_memfd binding (facts M1) fails every later fault, a zap that
 * misses a page leaves a read where the model exits. A random walk makes such an update late in a trace or not
 * at all, and then seldom touches every gfn after it; this trace makes the update as early as the protocol
 * allows and then touches them all.
 *
 * <p>Steps follow the first allowed observation in canonical order, as {@link Generator} writes them, so the
 * trace replays step for step on the model target; a kernel that takes another allowed branch goes on along its
 * own, as with any generated trace.
 */
public final class UpdateProbe {
  /** The generator name a probe's header carries ("after:" and the update). */
  public static String generatorName(Class<? extends Action> update) {
    return "after:" + update.getSimpleName();
  }

  /** The memslot updates a probe is made for, in the order their probes are named. */
  public static final List<Class<? extends Action>> UPDATES = List.of(
      Action.EnableUserfault.class, Action.DisableUserfault.class, Action.EnableDirtyLog.class,
      Action.DisableDirtyLog.class, Action.DeleteSlot.class, Action.MoveSlot.class);

  private final Config config;
  private final ApiModel model;
  private final int maxDepth;
  private final int maxNodes;

  public UpdateProbe(Config config, int maxDepth, int maxNodes) {
    this.config = config;
    this.model = new ApiModel(config);
    this.maxDepth = maxDepth;
    this.maxNodes = maxNodes;
  }

  private record Node(Set<State> states, StepPath path) {}

  /**
   * The trace for {@code update}, or empty where the config never makes it within the bounds or no gfn can be
   * accessed after it (every vCPU's budget spent on the way).
   */
  public Optional<Trace> find(Class<? extends Action> update, String profile) {
    Node root = new Node(Set.of(model.init()), StepPath.start());
    ArrayDeque<Node> queue = new ArrayDeque<>(List.of(root));
    Set<Set<State>> seen = new HashSet<>(List.of(root.states()));
    while (!queue.isEmpty() && seen.size() < maxNodes) {
      Node n = queue.poll();
      if (n.path().length() >= maxDepth) {
        continue;
      }
      for (int code : Generator.enabledInEvery(model.model(), List.copyOf(n.states()))) {
        Action a = Action.decode(code);
        Node child = step(n, a);
        if (child == null) {
          continue;
        }
        if (update.isInstance(a)) {
          Optional<Node> after = accesses(child);
          if (after.isPresent()) {
            return Optional.of(after.get().path().trace(config, profile, generatorName(update)));
          }
        } else if (seen.add(child.states())) {
          queue.add(child);
        }
      }
    }
    return Optional.empty();
  }

  /** The step along its first allowed observation; null where a hidden closure hit its bound. */
  private Node step(Node n, Action a) {
    AllowedObservations ok = model.allowed(n.states(), a);
    if (ok.boundHit() || ok.sorted().isEmpty()) {
      return null;
    }
    StepObservation first = ok.sorted().getFirst();
    return new Node(Set.copyOf(ok.byObservation().get(first)), n.path().then(a, ok.sorted()));
  }

  /** For each gfn in order, an Access by the first vCPU that can make it now; the node after the last, if any was made. */
  private Optional<Node> accesses(Node from) {
    Node at = from;
    for (int g = 0; g < config.numGfns(); g++) {
      List<Integer> enabled = Generator.enabledInEvery(model.model(), List.copyOf(at.states()));
      for (int v = 0; v < config.vcpus(); v++) {
        Action a = new Action.Access(v, g);
        if (!enabled.contains(a.code())) {
          continue;
        }
        Node next = step(at, a);
        if (next != null) {
          at = next;
          break;
        }
      }
    }
    return at == from ? Optional.empty() : Optional.of(at);
  }
}
