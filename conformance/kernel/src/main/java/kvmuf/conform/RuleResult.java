package kvmuf.conform;

import java.util.List;
import java.util.Optional;

/**
 * The outcome of one named rule: {@code PASS} (every observation as expected), {@code DIVERGENCE} (the
 * step that differs is {@link #divergentStep()}), or {@code UNSUPPORTED} (the kernel lacks what the rule
 * needs: {@link #reason()}), never a pass.
 *
 * @param kernelSteps how many steps the kernel ran (model-only steps not counted)
 */
public record RuleResult(String rule, Status status, Optional<String> reason, List<StepRecord> steps, int kernelSteps) {
  public enum Status { PASS, DIVERGENCE, UNSUPPORTED }

  public Optional<StepRecord> divergentStep() {
    return status == Status.DIVERGENCE ? steps.stream().filter(s -> !s.matches()).findFirst() : Optional.empty();
  }
}
