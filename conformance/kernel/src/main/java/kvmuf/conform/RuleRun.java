package kvmuf.conform;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import kvmuf.model.Action;
import kvmuf.model.State;
import kvmuf.model.StateBits;

/**
 * One run of a rule's script: each call performs a kernel step, takes its expectation (from the model
 * oracle, or from the UAPI), records both, and stops the script at the first divergence or unsupported
 * step (by throwing {@link Stop}, which the runner turns into the result).
 */
public final class RuleRun {
  private final KernelTarget target;
  private final Optional<ModelOracle> oracle;
  private final RuleContext context;
  private final List<StepRecord> records = new ArrayList<>();
  private int kernelSteps;

  RuleRun(KernelTarget target, Optional<ModelOracle> oracle, RuleContext context) {
    this.target = target;
    this.oracle = oracle;
    this.context = context;
  }

  public KernelTarget target() {
    return target;
  }

  public ModelOracle oracle() {
    return oracle.orElseThrow(() -> new IllegalStateException("this rule has no model config"));
  }

  List<StepRecord> records() {
    return List.copyOf(records);
  }

  int kernelSteps() {
    return kernelSteps;
  }

  /**
   * The model performs {@code action} and the kernel the same step ({@link Steps#of}: an exit handler's
   * Install or ClearBit acts on the gfn of its vCPU's exit in the model); their observations must be equal.
   */
  public Observation expect(Action action) {
    State before = oracle().state();
    Step step = Steps.of(action, v -> StateBits.vgfn(before.v(), v))
        .orElseThrow(() -> new IllegalArgumentException(action + " is not an API-level step"));
    return check(step, Expectation.model(oracle().step(action, target.installCall())), Function.identity());
  }

  /** The expectation of the last recorded step. */
  public Expectation lastExpected() {
    return records.getLast().expected().orElseThrow();
  }

  /** The kernel performs {@code step}; the UAPI documents {@code expected}. */
  public Observation expectUapi(Step step, Observation expected) {
    return check(step, Expectation.uapi(expected), Function.identity());
  }

  /** As {@link #check(Step, Expectation, Function)} with the model's huge-frame count for a {@link Step.ReadMappings}. */
  public Observation expectHugeFrames(long base2m) {
    Expectation e = Expectation.model(new Observation.HugeMappings(base2m + oracle().hugeFrames()));
    return check(new Step.ReadMappings(), e, o -> o instanceof Observation.Mappings m ? new Observation.HugeMappings(m.pages2m()) : o);
  }

  /**
   * Performs {@code step}, compares {@code view(observed)} with the (possibly tampered) expectation, and
   * records the step. Returns the raw observation.
   */
  public Observation check(Step step, Expectation expected, Function<Observation, Observation> view) {
    int index = records.size() + 1;
    Expectation e = context.tamper().apply(index, expected);
    Observation raw = kernel(step);
    Observation seen = view.apply(raw);
    StepRecord r = new StepRecord(index, step.show(), Optional.of(e), Optional.of(seen), false);
    records.add(r);
    if (!r.matches()) throw new Stop(RuleResult.Status.DIVERGENCE, Optional.empty());
    return raw;
  }

  /**
   * The kernel performs every step of {@code steps}; each must show {@code expected}. Recorded as one step
   * labelled {@code label} (with the first differing observation, if any), so a 512-page touch stays one line.
   */
  public void expectAll(String label, List<Step> steps, Expectation expected) {
    int index = records.size() + 1;
    Expectation e = context.tamper().apply(index, expected);
    Observation seen = null;
    for (Step s : steps) {
      seen = kernel(s);
      if (!seen.equals(e.observation())) {
        label = label + ", at " + s.show();
        break;
      }
    }
    StepRecord r = new StepRecord(index, label, Optional.of(e), Optional.ofNullable(seen), false);
    records.add(r);
    if (!r.matches()) throw new Stop(RuleResult.Status.DIVERGENCE, Optional.empty());
  }

  /** The kernel performs {@code step} to set the scene; nothing is predicted (an unsupported step still stops the rule). */
  public Observation run(Step step) {
    Observation o = kernel(step);
    records.add(new StepRecord(records.size() + 1, step.show(), Optional.empty(), Optional.of(o), false));
    return o;
  }

  /** The model takes {@code action} with no kernel step: how a rule reaches the model state the kernel is in. */
  public void modelOnly(Action action) {
    Observation o = oracle().step(action, target.installCall());
    records.add(new StepRecord(records.size() + 1, ModelOracle.show(action), Optional.of(Expectation.model(o)), Optional.empty(), true));
  }

  /** Ends the rule as unsupported (a precondition the kernel or host does not meet). */
  public void unsupported(String reason) {
    throw new Stop(RuleResult.Status.UNSUPPORTED, Optional.of(new Observation.Unsupported(reason).reason()));
  }

  private Observation kernel(Step step) {
    kernelSteps++;
    Observation o = target.step(step);
    if (o instanceof Observation.Unsupported u) {
      records.add(new StepRecord(records.size() + 1, step.show(), Optional.empty(), Optional.of(o), false));
      throw new Stop(RuleResult.Status.UNSUPPORTED, Optional.of(step.name() + ": " + u.reason()));
    }
    return o;
  }

  /** Ends a script early with a status. */
  static final class Stop extends RuntimeException {
    final RuleResult.Status status;
    final Optional<String> reason;

    Stop(RuleResult.Status status, Optional<String> reason) {
      super(status + reason.map(r -> ": " + r).orElse(""), null, false, false);
      this.status = status;
      this.reason = reason;
    }
  }
}
