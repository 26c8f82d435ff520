package kvmuf.trace;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.State;
import kvmuf.model.StepObservation;

/**
 * Deterministic replay: steps a {@link Target} through a trace one API-level step at a time and
 * checks each observation against the model. The model side ({@link ModelStates}, the oracle the named
 * rules use too) keeps the set of states consistent with what the target showed so far; for each step it
 * computes the allowed observation set ({@link AllowedObservations}) and the run diverges when the target's
 * observation is not in it.
 * A generated trace's {@code expect} must equal the model's allowed set while the target follows
 * the trace's branch (the first observation of each expect set); a logged run's {@code observed}
 * must be allowed on the logged run's own branch (a second set of states, filtered by the log). The first divergence ends the trace. A state of the consistent set that breaks
 * one of the config's invariants (a mutant config) is reported as a violation and ends it too.
 */
public final class Replayer {
  private final Target target;
  private final Map<Config, ApiModel> models = new ConcurrentHashMap<>();

  /** Whether a trace whose target left its branch goes on with steps drawn on the target's branch ({@link Continuation}). */
  private boolean continueOffBranch;

  public Replayer(Target target) {
    this.target = target;
  }

  /**
   * From now on, a trace whose target took another allowed branch and meets a step the model does not enable on it
   * goes on with steps drawn on that branch ({@link Continuation}) up to the trace's length, instead of stopping
   * there unsupported. Its {@link Result#continuedAt} names the step; the recorded run holds the drawn steps.
   */
  public Replayer continuingOffBranch() {
    this.continueOffBranch = true;
    return this;
  }

  public record Divergence(int step, int line, String reason, List<StepObservation> expected, Optional<StepObservation> observed) {}

  public record Violation(int step, int line, String invariant) {}

  /** The target could not run step {@code step} (a missing capability): the trace stopped there, neither passed nor diverged. */
  public record Unsupported(int step, int line, String action, String reason) {}

  /**
   * @param stepsReplayed steps performed (up to and including a divergent or violating one)
   * @param leftBranchAt the step after which the target no longer followed the trace's branch (-1: never)
   * @param recorded the run as a logged trace (observed lines, up to the first divergence)
   */
  public record Result(Trace trace, int stepsReplayed, Optional<Divergence> divergence, Optional<Violation> violation,
      boolean boundHit, int leftBranchAt, Trace recorded, Optional<Unsupported> unsupported, int pagesUnchecked, int continuedAt) {
    public Result(Trace trace, int stepsReplayed, Optional<Divergence> divergence, Optional<Violation> violation,
        boolean boundHit, int leftBranchAt, Trace recorded) {
      this(trace, stepsReplayed, divergence, violation, boundHit, leftBranchAt, recorded, Optional.empty(), 0, -1);
    }

    /** No divergence and no violation (an unsupported step is not a divergence, but see {@link #unsupported}). */
    public boolean ok() {
      return divergence.isEmpty() && violation.isEmpty();
    }
  }

  public Result replay(Trace t, Coverage coverage) {
    Config c = t.header().config();
    ApiModel model = models.computeIfAbsent(c, ApiModel::new);
    target.start(t.header());
    ModelStates states = new ModelStates(model);
    if (coverage != null) {
      coverage.state(states.states().getFirst());
    }
    // A logged run is checked on its own branch: the target may resolve nondeterminism differently.
    ModelStates logStates = new ModelStates(model);
    boolean onBranch = true;
    int leftAt = -1;
    boolean hit = false;
    List<TraceStep> log = new ArrayList<>(t.steps().size());
    Optional<Divergence> div = Optional.empty();
    Optional<Violation> vio = Optional.empty();
    int done = 0;
    int pagesUnchecked = 0;
    Optional<Unsupported> unsupported = Optional.empty();
    Continuation continuation = null;
    int continuedAt = -1;
    for (int k = 0; k < t.steps().size(); k++) {
      TraceStep s = continuation == null ? t.steps().get(k) : null;
      AllowedObservations allowed = s == null ? null : states.allowed(s.action());
      if (s != null && allowed.enabledIn() == 0 && !onBranch && continueOffBranch) {
        continuation = new Continuation(model, t.header(), t.source(), k);
        continuedAt = s.i();
        s = null;
      }
      if (s == null) {
        // Off the trace's branch: the next step is drawn on the states the target reached (only "observed is allowed").
        Optional<Action> next = continuation.next(states);
        if (next.isEmpty()) break; // every vCPU finished and the VMM has nothing left to do
        allowed = states.allowed(next.get());
        s = TraceStep.expect(k, next.get(), allowed.sorted());
      }
      done++;
      hit |= allowed.boundHit();
      if (allowed.enabledIn() == 0 && !onBranch) {
        // The target took another allowed branch of step leftAt (e.g. a woken fault read where the trace's branch
        // exited), and on it this step is not enabled: the rest cannot be run, which is neither a pass nor a
        // divergence. It is not performed.
        done--;
        unsupported = Optional.of(new Unsupported(s.i(), s.line(), s.action().name(), "the target took another allowed "
            + "branch at step " + leftAt + ", on which the model does not enable " + s.action().name()));
        break;
      }
      Optional<StepObservation> got = target.step(s.action());
      if (got.isEmpty()) {
        Optional<String> why = target.unsupported();
        if (why.isPresent()) {
          // Not run, so neither passed nor diverged: the trace stops here (later steps depend on this one).
          done--;
          unsupported = Optional.of(new Unsupported(s.i(), s.line(), s.action().name(), why.get()));
          break;
        }
      }
      if (got.isPresent()) log.add(TraceStep.observed(s.i(), s.action(), got.get()));
      if (allowed.enabledIn() == 0) {
        div = Optional.of(new Divergence(s.i(), s.line(), "the model does not enable " + s.action().name() + " here", List.of(), got));
        break;
      }
      List<StepObservation> expected = allowed.sorted();
      if (!s.observedForm() && onBranch && !sameSet(s.observations(), allowed.observations())) {
        // Name both sets in the reason: the report's "expected" is the model's set, which alone hides the difference.
        div = Optional.of(new Divergence(s.i(), s.line(),
            "the trace's expect set differs from the model's allowed set (the trace expects: "
                + String.join(" ", s.observations().stream().map(TraceCodec::text).sorted().toList())
                + "; the model allows: " + String.join(" ", expected.stream().map(TraceCodec::text).toList()) + ")",
            expected, got));
        break;
      }
      if (s.observedForm()) {
        AllowedObservations logAllowed = logStates.allowed(s.action());
        if (!logStates.keep(logAllowed, s.observed())) {
          div = Optional.of(new Divergence(s.i(), s.line(), logAllowed.enabledIn() == 0
                  ? "the logged run's step is not enabled in the model after its earlier steps"
                  : "the logged observation is not allowed by the model",
              logAllowed.sorted(), Optional.of(s.observed())));
          break;
        }
      }
      if (got.isEmpty()) {
        div = Optional.of(new Divergence(s.i(), s.line(), "target " + target.name() + " cannot perform " + s.action().name(), expected, got));
        break;
      }
      StepObservation o = got.get();
      // A target may observe both counts, one (a kernel: pages_2m where it can say) or none.
      boolean pagesSeen = o.pages4k() != Target.PAGES_NOT_OBSERVED && o.pages2m() != Target.PAGES_NOT_OBSERVED;
      if (o.pages4k() == Target.PAGES_NOT_OBSERVED && o.pages2m() == Target.PAGES_NOT_OBSERVED) {
        pagesUnchecked++;
      }
      if (!states.keep(allowed, o)) {
        div = Optional.of(new Divergence(s.i(), s.line(), "target " + target.name() + " showed an observation the model does not allow", expected, got));
        break;
      }
      // Without mapping counts the target may have taken a branch of the trace's step that differs only in them:
      // the states kept then include every such branch, so from here on the trace's own expect sets (one branch)
      // are no longer the model's allowed sets; only "observed is allowed" is checked.
      boolean ambiguous = !pagesSeen && s.observations().stream().filter(e -> ModelStates.shows(o, e)).count() > 1;
      if (!s.observedForm() && onBranch && (ambiguous || !(pagesSeen ? o.equals(first(s)) : ModelStates.shows(o, first(s))))) {
        onBranch = false;
        leftAt = s.i();
      }
      if (coverage != null) {
        coverage.step(s.action(), o);
        for (State x : states.states()) {
          coverage.state(x);
        }
      }
      Optional<String> bad = states.violated();
      if (bad.isPresent()) {
        vio = Optional.of(new Violation(s.i(), s.line(), bad.get()));
        break;
      }
    }
    TraceHeader h = t.header();
    Trace recorded = new Trace(t.source(), new TraceHeader(h.format(), h.config(), h.seed(), h.profile(), "observed"), log);
    return new Result(t, done, div, vio, hit, leftAt, recorded, unsupported, pagesUnchecked, continuedAt);
  }

  private static boolean sameSet(List<StepObservation> file, java.util.Set<StepObservation> model) {
    if (file.size() == 1 && model.size() == 1) {
      return model.contains(file.getFirst());
    }
    return new HashSet<>(file).equals(model);
  }

  private static StepObservation first(TraceStep s) {
    List<StepObservation> obs = s.observations();
    if (obs.size() == 1) {
      return obs.getFirst();
    }
    StepObservation best = null;
    for (StepObservation o : obs) {
      if (best == null || TraceCodec.text(o).compareTo(TraceCodec.text(best)) < 0) {
        best = o;
      }
    }
    return best;
  }
}
