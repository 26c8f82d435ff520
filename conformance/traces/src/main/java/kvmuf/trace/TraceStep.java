package kvmuf.trace;

import java.util.List;
import kvmuf.model.Action;
import kvmuf.model.StepObservation;

/**
 * One API-level step of a trace: {@code i}, the visible action (its actor follows from it), and
 * either the set of observations the model allows ({@code expect}, a generated trace) or the one
 * observation a run showed ({@code observed}, a logged run). {@code line} is the 1-based line in the
 * file (0 for steps not read from a file).
 */
public record TraceStep(int i, Action action, boolean observedForm, List<StepObservation> observations, int line) {
  public TraceStep {
    observations = List.copyOf(observations);
  }

  public static TraceStep expect(int i, Action action, List<StepObservation> expect) {
    return new TraceStep(i, action, false, expect, 0);
  }

  public static TraceStep observed(int i, Action action, StepObservation observed) {
    return new TraceStep(i, action, true, List.of(observed), 0);
  }

  public String actor() {
    return action.actorName();
  }

  public StepObservation observed() {
    if (!observedForm) {
      throw new IllegalStateException("step " + i + " has expect, not observed");
    }
    return observations.getFirst();
  }

  public TraceStep withIndex(int index) {
    return new TraceStep(index, action, observedForm, observations, line);
  }
}
