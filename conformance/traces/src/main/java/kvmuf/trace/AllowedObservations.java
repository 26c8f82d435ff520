package kvmuf.trace;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.Model;
import kvmuf.model.Observations;
import kvmuf.model.State;
import kvmuf.model.StepObservation;

/**
 * The set of observations the model allows for one API-level step from a set of states (those
 * consistent with the run so far): for each state where the action is enabled, apply it, close
 * over hidden steps in every interleaving, and read the observation of each quiescent outcome.
 * Each observation maps to the outcome states that show it, so a replay can keep only the states
 * consistent with what it saw.
 *
 * @param byObservation allowed observation to the outcome states showing it (insertion order is
 *     deterministic)
 * @param sorted the allowed observations in canonical order (by JSON text), as expect writes them
 * @param enabledIn how many of the given states enable the action
 * @param boundHit a hidden closure hit its bound (the set may then be incomplete)
 * @param closureStates the most states one hidden closure visited
 */
public record AllowedObservations(
    Map<StepObservation, Set<State>> byObservation, List<StepObservation> sorted, int enabledIn, int statesGiven,
    boolean boundHit, int closureStates) {

  public static AllowedObservations of(Model model, HiddenClosure hidden, Collection<State> states, Action a) {
    Config c = model.config();
    int code = a.code();
    Map<StepObservation, Set<State>> by = new LinkedHashMap<>();
    int enabled = 0;
    boolean hit = false;
    int most = 0;
    for (State s : states) {
      State after = ApiStep.apply(model, s, a);
      if (after == null) {
        continue;
      }
      enabled++;
      HiddenClosure.Result r = hidden.close(after);
      hit |= r.boundHit();
      most = Math.max(most, r.all().size());
      for (State q : r.quiescent()) {
        StepObservation o = Observations.step(c, code, s.view(), q.view())
            .orElseThrow(() -> new IllegalStateException("no observation in a quiescent state after " + a));
        by.computeIfAbsent(o, k -> new LinkedHashSet<>(2)).add(q);
      }
    }
    return new AllowedObservations(by, sort(by.keySet()), enabled, states.size(), hit, most);
  }

  /** The union of per-state results (each computed from one state). */
  static AllowedObservations union(List<AllowedObservations> parts) {
    Map<StepObservation, Set<State>> by = new LinkedHashMap<>();
    int enabled = 0;
    boolean hit = false;
    int most = 0;
    for (AllowedObservations p : parts) {
      enabled += p.enabledIn();
      hit |= p.boundHit();
      most = Math.max(most, p.closureStates());
      p.byObservation().forEach((o, qs) -> by.computeIfAbsent(o, k -> new LinkedHashSet<>(2)).addAll(qs));
    }
    return new AllowedObservations(by, sort(by.keySet()), enabled, parts.size(), hit, most);
  }

  private static List<StepObservation> sort(Set<StepObservation> obs) {
    if (obs.size() <= 1) {
      return List.copyOf(obs);
    }
    List<StepObservation> list = new ArrayList<>(obs);
    list.sort((x, y) -> TraceCodec.text(x).compareTo(TraceCodec.text(y)));
    return List.copyOf(list);
  }

  public Set<StepObservation> observations() {
    return byObservation.keySet();
  }
}
