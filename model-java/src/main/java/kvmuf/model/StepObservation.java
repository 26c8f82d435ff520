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

  /**
   * Compact text for reports: the result, the calls it released ({@code unblocked}) and the page counts where
   * they were observed (a negative count is "not observed").
   */
  public String show() {
    StringBuilder b = new StringBuilder(result.show());
    if (!unblocked.isEmpty()) {
      b.append(", unblocked {");
      String sep = "";
      for (Map.Entry<String, Observation> e : unblocked.entrySet()) {
        b.append(sep).append(e.getKey()).append(' ').append(e.getValue().show());
        sep = ", ";
      }
      b.append('}');
    }
    if (pages4k >= 0) b.append(", pages_4k ").append(pages4k);
    if (pages2m >= 0) b.append(", pages_2m ").append(pages2m);
    return b.toString();
  }
}
