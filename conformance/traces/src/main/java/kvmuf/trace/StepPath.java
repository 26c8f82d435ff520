package kvmuf.trace;

import java.util.ArrayList;
import java.util.List;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.StepObservation;

/**
 * The steps a breadth-first search over the model's API-level state sets took to one of its nodes, each with the
 * observations the correct model allows there, linked back to the start: the searches that write a trace
 * ({@link Distinguisher}, {@link UpdateProbe}) share every prefix between their nodes and turn the one they
 * chose into a trace.
 *
 * @param parent the path one step shorter; null at the start
 * @param length the number of steps (a node's depth)
 */
record StepPath(StepPath parent, Action action, List<StepObservation> expect, int length) {
  /** The path of the search's first node: no step yet. */
  static StepPath start() {
    return new StepPath(null, null, null, 0);
  }

  /** This path with one more step, {@code action}, showing one of {@code expect}. */
  StepPath then(Action action, List<StepObservation> expect) {
    return new StepPath(this, action, expect, length + 1);
  }

  /** The steps in order as a generated trace of {@code config}, its header naming {@code generator}. */
  Trace trace(Config config, String profile, String generator) {
    List<StepPath> path = new ArrayList<>();
    for (StepPath p = this; p.parent() != null; p = p.parent()) {
      path.addFirst(p);
    }
    List<TraceStep> steps = new ArrayList<>();
    for (StepPath p : path) {
      steps.add(TraceStep.expect(steps.size(), p.action(), p.expect()));
    }
    return new Trace("generated", new TraceHeader(TraceHeader.FORMAT, config, 0, profile, generator), steps);
  }
}
