package kvmuf.conform;

import java.util.Optional;
import kvmuf.model.StepObservation;

/**
 * One step of a rule as it ran: its index (1-based), the step, what was expected (absent for a step that
 * sets the scene without a prediction) and what the kernel showed; or a model-only step (the model takes
 * it, the kernel does not: how a rule reaches the model state the kernel is in); or the kernel's reason for
 * not running it ({@code unsupported}).
 */
public record StepRecord(int index, String step, Optional<Expectation> expected, Optional<StepObservation> observed, boolean modelOnly,
    Optional<String> unsupported) {
  public StepRecord(int index, String step, Optional<Expectation> expected, Optional<StepObservation> observed, boolean modelOnly) {
    this(index, step, expected, observed, modelOnly, Optional.empty());
  }

  public boolean matches() {
    return expected.isEmpty() || observed.isEmpty() || expected.get().matches(observed.get());
  }

  /** What the kernel showed, as report text ("-" when nothing: a model-only step, or unsupported). */
  public String shownObserved() {
    return observed.map(StepObservation::show).orElse(unsupported.map(r -> "unsupported: " + r).orElse("-"));
  }
}
