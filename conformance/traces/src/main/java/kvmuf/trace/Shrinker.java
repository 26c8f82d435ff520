package kvmuf.trace;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import kvmuf.model.State;
import kvmuf.model.StepObservation;

/**
 * Delta debugging (Zeller's ddmin) over a trace's steps, down to a trace that still fails the
 * same way and from which no single step can be removed. It repeats ddmin until nothing changes,
 * so shrinking its own output returns the same bytes.
 *
 * <p>{@code DIVERGES}: replay on the model target (first-observation choice) diverges at a step
 * with the same content (actor, action, args, recorded observations) for the same reason; kept
 * steps are written as they were. {@code VIOLATES}: stepping the model through the actions reaches
 * a state that breaks the same invariant (the config's first broken one); the shrunk trace's
 * expect sets are recomputed from the model so that it replays as a valid trace.
 */
public final class Shrinker {
  public enum Until { DIVERGES, VIOLATES }

  public record Result(Trace shrunk, String failure, int originalSteps, int tests) {}

  private final Until until;
  private int tests;

  public Shrinker(Until until) {
    this.until = until;
  }

  /** The shrunk trace, or empty when the trace does not fail the asked way. */
  public Optional<Result> shrink(Trace t) {
    tests = 0;
    Optional<String> failure = failure(t.steps(), t);
    if (failure.isEmpty()) {
      return Optional.empty();
    }
    List<TraceStep> c = t.steps();
    while (true) {
      List<TraceStep> next = ddmin(c, failure.get(), t);
      if (next.equals(c)) {
        break;
      }
      c = next;
    }
    List<TraceStep> out = renumber(c);
    if (until == Until.VIOLATES) {
      out = recomputeExpect(t, out);
    }
    return Optional.of(new Result(t.withSteps(out), failure.get(), t.steps().size(), tests));
  }

  private List<TraceStep> ddmin(List<TraceStep> c, String failure, Trace t) {
    int n = 2;
    while (c.size() >= 2) {
      List<List<TraceStep>> chunks = split(c, n);
      boolean reduced = false;
      for (List<TraceStep> chunk : chunks) {
        if (fails(chunk, failure, t)) {
          c = chunk;
          n = 2;
          reduced = true;
          break;
        }
      }
      if (!reduced) {
        for (int k = 0; k < chunks.size(); k++) {
          List<TraceStep> complement = new ArrayList<>();
          for (int j = 0; j < chunks.size(); j++) {
            if (j != k) {
              complement.addAll(chunks.get(j));
            }
          }
          if (fails(complement, failure, t)) {
            c = complement;
            n = Math.max(n - 1, 2);
            reduced = true;
            break;
          }
        }
      }
      if (!reduced) {
        if (n >= c.size()) {
          break;
        }
        n = Math.min(2 * n, c.size());
      }
    }
    if (c.size() == 1 && fails(List.of(), failure, t)) {
      return List.of();
    }
    return c;
  }

  private static List<List<TraceStep>> split(List<TraceStep> c, int n) {
    List<List<TraceStep>> out = new ArrayList<>();
    int start = 0;
    for (int k = 0; k < n; k++) {
      int end = start + (c.size() - start) / (n - k);
      if (end > start) {
        out.add(c.subList(start, end));
      }
      start = end;
    }
    return out;
  }

  private boolean fails(List<TraceStep> candidate, String failure, Trace t) {
    return failure(candidate, t).map(failure::equals).orElse(false);
  }

  /** How the steps fail (the signature two runs must share), or empty when they do not fail that way. */
  private Optional<String> failure(List<TraceStep> steps, Trace t) {
    tests++;
    Trace candidate = t.withSteps(renumber(steps));
    if (until == Until.DIVERGES) {
      Replayer.Result r = new Replayer(new ModelTarget(ModelTarget.Choice.FIRST)).replay(candidate, null);
      return r.divergence().map(d -> {
        TraceStep s = candidate.steps().get(d.step());
        return d.reason() + " at " + TraceCodec.stepLine(s.withIndex(0));
      });
    }
    Replayer.Result r = new Replayer(new ModelTarget(ModelTarget.Choice.FIRST)).replay(withoutChecks(candidate), null);
    return r.violation().map(v -> "invariant " + v.invariant() + " violated");
  }

  /** The same actions as a trace whose expect sets are not checked: each step as an observed-free walk. */
  private static Trace withoutChecks(Trace t) {
    return recomputeExpectLenient(t);
  }

  private static List<TraceStep> renumber(List<TraceStep> steps) {
    List<TraceStep> out = new ArrayList<>(steps.size());
    for (int k = 0; k < steps.size(); k++) {
      out.add(steps.get(k).withIndex(k));
    }
    return out;
  }

  /** The steps with expect sets the model computes along the first-observation branch. */
  private static List<TraceStep> recomputeExpect(Trace t, List<TraceStep> steps) {
    return recomputeExpectLenient(t.withSteps(steps)).steps();
  }

  /**
   * Recomputes expect along the first-observation branch; a step the model does not enable keeps
   * its recorded observations (the replay then diverges there, which is not a violation).
   */
  private static Trace recomputeExpectLenient(Trace t) {
    ApiModel model = new ApiModel(t.header().config());
    List<State> states = List.of(model.init());
    List<TraceStep> out = new ArrayList<>();
    boolean stuck = false;
    for (TraceStep s : t.steps()) {
      if (stuck) {
        out.add(s);
        continue;
      }
      AllowedObservations a = model.allowed(states, s.action());
      if (a.enabledIn() == 0) {
        stuck = true;
        out.add(s);
        continue;
      }
      List<StepObservation> expect = a.sorted();
      out.add(TraceStep.expect(s.i(), s.action(), expect));
      states = List.copyOf(a.byObservation().get(expect.getFirst()));
    }
    return t.withSteps(out);
  }
}
