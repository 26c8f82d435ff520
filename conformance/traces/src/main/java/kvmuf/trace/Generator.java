package kvmuf.trace;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.Model;
import kvmuf.model.Observation;
import kvmuf.model.State;
import kvmuf.model.StepObservation;

/**
 * Generates traces by walking API-level steps of the model. The walk keeps the set of model states
 * consistent with the trace so far (what a replay keeps); each step picks an action enabled in all
 * of them, writes the allowed observation set as {@code expect}, and follows the first observation
 * in canonical order (the model target follows the same one, so a generated trace replays on it).
 *
 * <p>{@code random}: the action is drawn uniformly. {@code coverage}: each enabled action is
 * scored by what it would add to the coverage of the traces generated so far (an action not yet
 * taken, an observation kind or detail not yet seen, an outcome state not yet visited, rarely
 * taken actions), the best wins (ties drawn at random; one step in ten is drawn uniformly).
 *
 * <p>Trace k's walk uses a random stream derived from (seed, k) only, so a random corpus shards
 * by index. The coverage strategy learns from traces 0..k-1: a shard still walks every earlier
 * trace (it writes only its own), so shards together give exactly the unsharded corpus.
 */
public final class Generator {
  public enum Strategy { RANDOM, COVERAGE }

  private final Config config;
  private final ApiModel api;
  private final Model model;
  private final Strategy strategy;
  private final long seed;
  private final String profile;
  private final int length;
  private final Coverage coverage;
  private boolean boundHit;
  private int mostClosure;

  public Generator(Config config, Strategy strategy, long seed, String profile, int length) {
    this.config = config;
    this.api = new ApiModel(config);
    this.model = api.model();
    this.strategy = strategy;
    this.seed = seed;
    this.profile = profile;
    this.length = length;
    this.coverage = new Coverage(config);
  }

  public Coverage coverage() {
    return coverage;
  }

  public boolean boundHit() {
    return boundHit;
  }

  public int mostClosureStates() {
    return mostClosure;
  }

  public HiddenClosure hiddenClosure() {
    return api.hidden();
  }

  /** The random stream of trace {@code index}: a function of (seed, index) only. */
  static SplittableRandom stream(long seed, int index) {
    long h = seed * 0x9E3779B97F4A7C15L + index * 0xC2B2AE3D27D4EB4FL;
    h ^= h >>> 31;
    return new SplittableRandom(h);
  }

  public Trace generate(int index) {
    SplittableRandom rnd = stream(seed, index);
    TraceHeader header = new TraceHeader(TraceHeader.FORMAT, config, seed, profile, strategy.name().toLowerCase());
    List<TraceStep> steps = new ArrayList<>(length);
    List<State> states = List.of(model.init());
    coverage.state(states.getFirst());
    for (int i = 0; i < length; i++) {
      List<Integer> candidates = candidates(states);
      if (candidates.isEmpty()) {
        break; // every vCPU finished and the VMM has nothing left to do
      }
      Action a;
      AllowedObservations allowed;
      if (strategy == Strategy.RANDOM || rnd.nextInt(10) == 0) {
        a = Action.decode(candidates.get(rnd.nextInt(candidates.size())));
        allowed = api.allowed(states, a);
      } else {
        a = null;
        allowed = null;
        double best = Double.NEGATIVE_INFINITY;
        for (int code : candidates) {
          Action x = Action.decode(code);
          AllowedObservations ax = api.allowed(states, x);
          double score = score(x, ax) + rnd.nextDouble();
          if (score > best) {
            best = score;
            a = x;
            allowed = ax;
          }
        }
      }
      boundHit |= allowed.boundHit();
      mostClosure = Math.max(mostClosure, allowed.closureStates());
      List<StepObservation> expect = allowed.sorted();
      StepObservation followed = expect.getFirst();
      steps.add(TraceStep.expect(i, a, expect));
      coverage.step(a, followed);
      states = List.copyOf(allowed.byObservation().get(followed));
      for (State s : states) {
        coverage.state(s);
      }
    }
    return new Trace("generated", header, steps);
  }

  /** Visible actions enabled in every state of the set (so any target state can take them). */
  private List<Integer> candidates(List<State> states) {
    return enabledInEvery(model, states);
  }

  /** The codes of the visible actions enabled in every state of {@code states} (so any target state can take them). */
  static List<Integer> enabledInEvery(Model model, List<State> states) {
    List<Integer> codes = ApiStep.enabled(model, states.getFirst());
    if (states.size() > 1) {
      codes.removeIf(c -> {
        Action a = Action.decode(c);
        for (State s : states) {
          if (ApiStep.apply(model, s, a) == null) {
            return true;
          }
        }
        return false;
      });
    }
    return codes;
  }

  private double score(Action a, AllowedObservations ax) {
    double score = 0;
    if (!coverage.seenAction(a)) {
      score += 100;
    }
    for (var e : ax.byObservation().entrySet()) {
      StepObservation o = e.getKey();
      score += novelty(o.result());
      for (Observation u : o.unblocked().values()) {
        score += novelty(u);
      }
      for (State q : e.getValue()) {
        if (!coverage.seenState(q)) {
          score += 4;
          break;
        }
      }
    }
    score += 3.0 / Math.sqrt(1 + coverage.actionCount(a));
    return score;
  }

  private double novelty(Observation r) {
    if (!coverage.seenKind(r.kind())) {
      return 50;
    }
    return coverage.seenDetail(r) ? 0 : 10;
  }

  /** The UAPI profile a config's traces assume when none is given. */
  public static String defaultProfile(Config c) {
    return c.userfaultUse() == Config.UserfaultUse.NONE ? "upstream" : "uf-v3";
  }

  /**
   * The UAPI profile ids a header may name: the ids of kernel-adapter's {@code UapiProfile}, which this module
   * cannot see (traces know no kernel); {@code TraceProfilesTest} in the kernel module keeps the two lists equal.
   */
  public static List<String> profiles() {
    return PROFILES;
  }

  private static final List<String> PROFILES = List.of("upstream", "uf-v1", "uf-v2", "uf-v3");
}
