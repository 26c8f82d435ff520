package kvmuf.conform;

import java.util.List;
import java.util.stream.Collectors;
import kvmuf.model.StepObservation;
import kvmuf.trace.ModelStates;

/**
 * What a rule's step may show and where that comes from: the Java model's allowed observations ({@code
 * model}: {@link ModelStates}, the oracle trace replay uses), or the kernel's documented UAPI where the model is
 * silent ({@code uapi}: MMIO exits, memslot overlap, the EINVAL of an unknown flag, the wake semantics of
 * UFFDIO_WAKE outside the model's EEXIST path).
 */
public record Expectation(List<StepObservation> allowed, Source source) {
  public enum Source { MODEL, UAPI }

  public Expectation {
    allowed = List.copyOf(allowed);
    if (allowed.isEmpty()) throw new IllegalArgumentException("an expectation allows at least one observation");
  }

  public static Expectation model(List<StepObservation> allowed) {
    return new Expectation(allowed, Source.MODEL);
  }

  public static Expectation model(StepObservation o) {
    return new Expectation(List.of(o), Source.MODEL);
  }

  public static Expectation uapi(StepObservation o) {
    return new Expectation(List.of(o), Source.UAPI);
  }

  /** Several results the UAPI documents as correct (revisions differ). */
  public static Expectation uapi(List<StepObservation> allowed) {
    return new Expectation(allowed, Source.UAPI);
  }

  /** The one observation expected (the first, canonically ordered, where the model allows several). */
  public StepObservation observation() {
    return allowed.getFirst();
  }

  /** Whether {@code o} is allowed; a step whose page counts were not observed is matched on the rest. */
  public boolean matches(StepObservation o) {
    return ModelStates.allows(allowed, o);
  }

  public String show() {
    if (allowed.size() == 1) return allowed.getFirst().show();
    return allowed.stream().map(StepObservation::show).collect(Collectors.joining(" | ", "one of {", "}"));
  }
}
