package kvmuf.trace;

import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.MutantId;
import kvmuf.model.State;
import kvmuf.model.StepObservation;

/**
 * A shortest trace on which a model mutant's behaviour cannot pass for the correct model's: the steps are
 * those of the correct model (each with the observations it allows, as {@link Generator} writes them), and at
 * the last one every observation the mutant allows is outside that set (as far as the target observes it). A
 * kernel whose bug is the mutant's then diverges on the last step whatever it chose before, as long as it took
 * the branch the trace follows
 * (the first allowed observation of each step in canonical order, as {@link Generator} follows, where the
 * mutant allows it too). Random walks reach such a step rarely when it needs a
 * particular order of updates (enable, disable, map, enable again); this search finds it in the product of the
 * two models' API-level state sets, breadth first, so the trace is a shortest one.
 *
 * <p>Where no step separates the two completely within the bounds, the search falls back to the shortest
 * trace whose last step lets the mutant show at least one observation the correct model forbids.
 */
public final class Distinguisher {
  /** The generator name a distinguishing trace's header carries ("mutant:" and the model mutant). */
  public static String generatorName(MutantId m) {
    return "mutant:" + m.name();
  }

  private final Config config;
  private final MutantId mutant;
  private final ApiModel correct;
  private final ApiModel buggy;
  private final int maxDepth;
  private final int maxNodes;
  private final UnaryOperator<StepObservation> observed;

  /** The search on {@code config} (the correct protocol) against {@code mutant} switched on in the same config. */
  public Distinguisher(Config config, MutantId mutant, int maxDepth, int maxNodes) {
    this(config, mutant, maxDepth, maxNodes, UnaryOperator.identity());
  }

  /**
   * As above, for a target that observes only part of an observation: {@code observed} maps one to what the
   * target reports of it (a kernel reports pages_4k as {@link Target#PAGES_NOT_OBSERVED}: the VM-wide count is
   * not the slot's), and a step tells the mutant apart only by what the target reports.
   */
  public Distinguisher(Config config, MutantId mutant, int maxDepth, int maxNodes, UnaryOperator<StepObservation> observed) {
    this.observed = observed;
    this.config = config;
    this.mutant = mutant;
    this.correct = new ApiModel(config);
    this.buggy = new ApiModel(config.withMutants(java.util.EnumSet.of(mutant)));
    this.maxDepth = maxDepth;
    this.maxNodes = maxNodes;
  }

  private record Node(Set<State> ok, Set<State> bad, StepPath path) {}

  private record Key(Set<State> ok, Set<State> bad) {}

  /** The trace, or empty when no step within the bounds lets the mutant show what the correct model forbids. */
  public Optional<Trace> find(String profile) {
    Set<State> init = Set.of(correct.init());
    Node root = new Node(init, Set.of(buggy.init()), StepPath.start());
    ArrayDeque<Node> queue = new ArrayDeque<>(List.of(root));
    Set<Key> seen = new HashSet<>(List.of(new Key(root.ok(), root.bad())));
    StepPath weak = null;
    while (!queue.isEmpty() && seen.size() < maxNodes) {
      Node n = queue.poll();
      if (n.path().length() >= maxDepth) {
        continue;
      }
      for (int code : Generator.enabledInEvery(correct.model(), List.copyOf(n.ok()))) {
        Action a = Action.decode(code);
        AllowedObservations ok = correct.allowed(n.ok(), a);
        AllowedObservations bad = buggy.allowed(n.bad(), a);
        if (bad.enabledIn() == 0 || ok.boundHit() || bad.boundHit()) {
          continue; // the mutant cannot take the step, or a set may be incomplete: nothing certain follows
        }
        Set<StepObservation> badSeen = seen(bad.observations());
        Set<StepObservation> outside = new HashSet<>(badSeen);
        outside.removeAll(seen(ok.observations()));
        if (!outside.isEmpty()) {
          StepPath last = n.path().then(a, ok.sorted());
          if (outside.size() == badSeen.size()) {
            return Optional.of(last.trace(config, profile, generatorName(mutant))); // every behaviour of the mutant diverges here
          }
          if (weak == null) {
            weak = last;
          }
        }
        // Go on along the first observation in canonical order, the one the generator and the model target
        // follow (so the trace replays step for step), where the mutant allows it too: as the target reports
        // it, so with every state of either model that shows the same (a kernel that does not report pages_4k
        // goes on from every pages_4k the model allows with that result).
        StepObservation first = observed.apply(ok.sorted().getFirst());
        Set<State> okNext = showing(ok, first);
        Set<State> badNext = showing(bad, first);
        if (!badNext.isEmpty()) {
          Node child = new Node(okNext, badNext, n.path().then(a, ok.sorted()));
          if (seen.add(new Key(child.ok(), child.bad()))) {
            queue.add(child);
          }
        }
      }
    }
    return Optional.ofNullable(weak).map(w -> w.trace(config, profile, generatorName(mutant)));
  }

  /** The outcome states whose observation the target reports as {@code shown}. */
  private Set<State> showing(AllowedObservations allowed, StepObservation shown) {
    Set<State> out = new HashSet<>();
    allowed.byObservation().forEach((o, states) -> {
      if (observed.apply(o).equals(shown)) {
        out.addAll(states);
      }
    });
    return Set.copyOf(out);
  }

  private Set<StepObservation> seen(Set<StepObservation> all) {
    Set<StepObservation> out = new HashSet<>();
    for (StepObservation o : all) {
      out.add(observed.apply(o));
    }
    return out;
  }
}
