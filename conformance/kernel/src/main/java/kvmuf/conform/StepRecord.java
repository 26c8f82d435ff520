package kvmuf.conform;

import java.util.Optional;

/**
 * One step of a rule as it ran: its index (1-based), the step, what was expected (absent for a step that
 * sets the scene without a prediction) and what the kernel showed; or a model-only step (the model takes
 * it, the kernel does not: how a rule reaches the model state the kernel is in).
 */
public record StepRecord(int index, String step, Optional<Expectation> expected, Optional<Observation> observed, boolean modelOnly) {
  public boolean matches() {
    return expected.isEmpty() || observed.isEmpty() || expected.get().observation().equals(observed.get());
  }
}
