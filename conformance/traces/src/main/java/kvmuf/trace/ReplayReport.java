package kvmuf.trace;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A replay's failure for people and for --json: the divergence (step, line, reason, expected set, observed)
 * or the violated invariant. One place for every command that replays traces (on the model or a kernel).
 */
public final class ReplayReport {
  private ReplayReport() {}

  public static Map<String, Object> failure(Replayer.Result r) {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("file", r.trace().source());
    r.divergence().ifPresent(d -> {
      TraceStep s = step(r, d.step());
      f.put("step", d.step());
      f.put("line", d.line());
      if (drawn(r, d.step())) f.put("continuedAt", r.continuedAt());
      f.put("actor", s.actor());
      f.put("action", s.action().name());
      f.put("reason", d.reason());
      f.put("expected", d.expected().stream().map(TraceCodec::tree).toList());
      f.put("observed", d.observed().map(TraceCodec::tree).orElse(null));
    });
    r.violation().ifPresent(v -> {
      f.put("step", v.step());
      f.put("line", v.line());
      f.put("violation", v.invariant());
    });
    return f;
  }

  /** Whether step {@code i} was drawn on the target's branch rather than read from the trace ({@link Continuation}). */
  static boolean drawn(Replayer.Result r, int i) {
    return r.continuedAt() >= 0 && i >= r.continuedAt();
  }

  /** Step {@code i} as it was run: the trace's, or the drawn one the recorded run holds. */
  static TraceStep step(Replayer.Result r, int i) {
    if (drawn(r, i)) {
      for (TraceStep s : r.recorded().steps()) {
        if (s.i() == i) return s;
      }
    }
    return r.trace().steps().get(i);
  }

  public static List<String> text(Replayer.Result r) {
    List<String> out = new ArrayList<>();
    r.divergence().ifPresent(d -> {
      TraceStep s = step(r, d.step());
      out.add(drawn(r, d.step())
          ? String.format("%s: DIVERGENCE at step %d (%s, drawn on the target's branch after step %d): %s", r.trace().source(), d.step(),
              TraceCodec.describe(s), r.continuedAt(), d.reason())
          : String.format("%s:%d: DIVERGENCE at step %d (%s): %s", r.trace().source(), d.line(), d.step(), TraceCodec.describe(s), d.reason()));
      out.add("  expected one of: " + String.join(" ", d.expected().stream().map(TraceCodec::text).toList()));
      out.add("  observed:        " + d.observed().map(TraceCodec::text).orElse("(nothing: the step could not be performed)"));
    });
    r.violation().ifPresent(v -> out.add(String.format("%s:%d: VIOLATION at step %d: the model reaches a state that breaks %s",
        r.trace().source(), v.line(), v.step(), v.invariant())));
    return out;
  }
}
