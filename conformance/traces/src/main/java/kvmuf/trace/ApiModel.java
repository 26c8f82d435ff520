package kvmuf.trace;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.Invariant;
import kvmuf.model.Model;
import kvmuf.model.State;

/**
 * The model at the level of API steps: {@link AllowedObservations} per (state, action), memoised.
 * The step function is pure (a state and an action determine the allowed observations and their
 * outcome states), and replays and generators revisit the same few thousand quiescent states, so a
 * bounded cache turns most steps into one lookup. Not thread-safe: one per replayer, target or
 * generator.
 */
public final class ApiModel {
  /** Entries kept before the cache starts over (a memory bound, not a correctness one). */
  static final int CACHE_LIMIT = 1 << 20;

  private final Model model;
  private final HiddenClosure hidden;
  private final Map<Key, AllowedObservations> cache = new HashMap<>();
  private final Map<State, String> violations = new HashMap<>();

  private record Key(State s, int code) {}

  public ApiModel(Config config) {
    this.model = new Model(config);
    this.hidden = new HiddenClosure(model);
  }

  public Model model() {
    return model;
  }

  public HiddenClosure hidden() {
    return hidden;
  }

  public Config config() {
    return model.config();
  }

  public State init() {
    return model.init();
  }

  /** The allowed observations of {@code a} from one state. */
  public AllowedObservations allowed(State s, Action a) {
    Key k = new Key(s, a.code());
    AllowedObservations r = cache.get(k);
    if (r == null) {
      r = AllowedObservations.of(model, hidden, List.of(s), a);
      if (cache.size() >= CACHE_LIMIT) {
        cache.clear();
      }
      cache.put(k, r);
    }
    return r;
  }

  /** The first of the config's invariants (in its order) that s breaks, memoised; empty string when none. */
  public String violated(State s) {
    String r = violations.get(s);
    if (r == null) {
      r = "";
      for (Invariant inv : model.config().invariants()) {
        if (!inv.holds(model.config(), s.view())) {
          r = inv.name();
          break;
        }
      }
      if (violations.size() >= CACHE_LIMIT) {
        violations.clear();
      }
      violations.put(s, r);
    }
    return r;
  }

  /** The allowed observations of {@code a} from a set of states (the union of each state's). */
  public AllowedObservations allowed(Collection<State> states, Action a) {
    if (states.size() == 1) {
      return allowed(states.iterator().next(), a);
    }
    List<AllowedObservations> parts = new ArrayList<>(states.size());
    for (State s : states) {
      parts.add(allowed(s, a));
    }
    return AllowedObservations.union(parts);
  }
}
