package kvmuf.check;

import java.util.List;
import java.util.Optional;

/**
 * The result of one model-checking run, engine-neutral.
 *
 * @param engine "tlc" or "java"
 * @param property the violated invariant, or "Deadlock"; empty when the verdict is OK
 * @param trace the counterexample, shortest first state to violating state; empty when OK
 * @param error what went wrong when the verdict is ERROR
 */
public record CheckResult(
    String engine,
    String config,
    Optional<String> mutant,
    int workers,
    Verdict verdict,
    Optional<String> property,
    long distinctStates,
    long statesGenerated,
    int depth,
    double seconds,
    List<TraceState> trace,
    Optional<String> error) {

  public static final String DEADLOCK = "Deadlock";

  public double distinctStatesPerSecond() {
    return seconds <= 0 ? 0 : distinctStates / seconds;
  }
}
