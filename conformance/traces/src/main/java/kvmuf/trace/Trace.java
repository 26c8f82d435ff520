package kvmuf.trace;

import java.util.List;

/** A trace: its header and its steps; {@code source} names where it came from (a file, or "generated"). */
public record Trace(String source, TraceHeader header, List<TraceStep> steps) {
  public Trace {
    steps = List.copyOf(steps);
  }

  public Trace withSteps(List<TraceStep> newSteps) {
    return new Trace(source, header, newSteps);
  }
}
