package kvmuf.model;

import java.util.Map;
import java.util.TreeMap;

/**
 * Everything an API-level step shows outside the kernel: the acting thread's {@link Observation},
 * the calls of other actors that returned during the step ({@code unblocked}, e.g. a vCPU a
 * UFFDIO_COPY woke, keyed by actor name), and the stage-2 mapping sizes as KVM's stats count them
 * ({@code pages_4k}, {@code pages_2m}; a "2M" page is a frame of HugeSpan gfns in the model).
 */
public record StepObservation(Observation result, Map<String, Observation> unblocked, int pages4k, int pages2m) {
  public StepObservation {
    unblocked = unblocked.isEmpty() ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(unblocked));
  }

  /** The same observation without the calls of other actors (what a concurrent log records). */
  public StepObservation withoutUnblocked() {
    return unblocked.isEmpty() ? this : new StepObservation(result, Map.of(), pages4k, pages2m);
  }
}
