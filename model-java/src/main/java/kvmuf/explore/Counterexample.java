package kvmuf.explore;

import java.util.ArrayList;
import java.util.List;
import kvmuf.check.TraceState;
import kvmuf.model.Config;
import kvmuf.model.Model;
import kvmuf.model.State;
import kvmuf.model.TlaRender;

/**
 * Turns a chain of canonical states (symmetry-reduced, so vCPU names may swap between steps)
 * into a concrete behaviour: from the initial state, each step takes the successor whose
 * canonical form is the next state on the chain, so one vCPU keeps one name throughout.
 */
final class Counterexample {
  private Counterexample() {}

  /**
   * @param chain store indices from the initial state (index 0) to the last state, one per depth;
   *     where two actions reach the same next state the first in the model's successor order is
   *     taken, so one chain always gives one trace
   */
  static List<TraceState> concrete(Model model, StateStore store, List<Integer> chain) {
    Config c = model.config();
    List<TraceState> trace = new ArrayList<>();
    State cur = model.init();
    trace.add(new TraceState(1, "Init", TlaRender.vars(c, cur)));
    for (int k = 1; k < chain.size(); k++) {
      long[] want = store.get(chain.get(k));
      Model.Transition step = null;
      for (Model.Transition t : model.successors(cur)) {
        State next = c.symmetry() ? t.next().canonical(c.vcpus()) : t.next();
        if (java.util.Arrays.equals(next.view(), want)) {
          step = t;
          break;
        }
      }
      if (step == null) {
        throw new IllegalStateException("counterexample step " + (k + 1) + " cannot be replayed on the model");
      }
      cur = step.next();
      trace.add(new TraceState(k + 1, step.action().name(), TlaRender.vars(c, cur)));
    }
    return trace;
  }
}
