package kvmuf.conform;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import kvmuf.model.Action;
import kvmuf.model.Observation;
import kvmuf.model.Observations;
import kvmuf.model.StepObservation;
import kvmuf.trace.AllowedObservations;
import kvmuf.trace.ModelStates;
import kvmuf.trace.Target;

/**
 * One run of a rule's script, a scripted trace: each model action is performed on the {@link KernelTarget} and
 * checked against the model's allowed observations from the states consistent with the run so far ({@link
 * ModelStates}, the oracle the trace {@code Replayer} uses: every interleaving of the hidden steps); the calls
 * outside the model are checked against the UAPI's documented result. Both are recorded, and the script stops
 * at the first divergence or unsupported step (by throwing {@link Stop}, which the runner turns into the result).
 */
public final class RuleRun {
  private final KernelTarget target;
  private final Optional<ModelStates> model;
  private final RuleContext context;
  private final List<StepRecord> records = new ArrayList<>();
  /** Actors whose call a model-only step left pending (e.g. {@code vmm} at srcu_wait): their returns are the model's alone. */
  private final java.util.Set<String> modelOnlyCalls = new java.util.TreeSet<>();
  private int kernelSteps;

  RuleRun(KernelTarget target, Optional<ModelStates> model, RuleContext context) {
    this.target = target;
    this.model = model;
    this.context = context;
  }

  public KernelTarget target() {
    return target;
  }

  /** The model states consistent with the run so far. */
  public ModelStates model() {
    return model.orElseThrow(() -> new IllegalStateException("this rule has no model config"));
  }

  List<StepRecord> records() {
    return List.copyOf(records);
  }

  int kernelSteps() {
    return kernelSteps;
  }

  /**
   * The kernel performs {@code action}; what it shows must be one of the observations the model allows (less
   * the returns of calls the model made alone: {@link #modelOnly}).
   */
  public StepObservation expect(Action action) {
    AllowedObservations allowed = allowed(action);
    int index = records.size() + 1;
    List<StepObservation> modelSays = allowed.sorted().stream().map(this::asTheKernelShowsIt).distinct().toList();
    Expectation e = context.tamper().apply(index, Expectation.model(modelSays));
    StepObservation seen = kernel(action.show(), () -> target.step(action));
    record(index, action.show(), e, seen);
    List<StepObservation> kept = allowed.sorted().stream().filter(o -> ModelStates.allows(List.of(asTheKernelShowsIt(o)), seen)).toList();
    if (!model().keep(allowed, kept::contains)) {
      // Only a tampered expectation gets here with a matching observation.
      throw new Stop(RuleResult.Status.DIVERGENCE, Optional.of("the model allows no such observation of " + action.show()));
    }
    kept.forEach(o -> modelOnlyCalls.removeAll(o.unblocked().keySet()));
    return seen;
  }

  /**
   * {@code o} as the kernel target shows it: without page counts (it does not observe them for actions; the
   * rules read them with ReadMappings) and without the returns of calls only the model made (a memslot update a
   * model-only step left waiting in synchronize_srcu: the kernel never made it, so it cannot show it return).
   */
  private StepObservation asTheKernelShowsIt(StepObservation o) {
    Map<String, Observation> rest = o.unblocked();
    if (!modelOnlyCalls.isEmpty() && o.unblocked().keySet().stream().anyMatch(modelOnlyCalls::contains)) {
      rest = new java.util.TreeMap<>(o.unblocked());
      rest.keySet().removeAll(modelOnlyCalls);
    }
    return new StepObservation(o.result(), rest, Target.PAGES_NOT_OBSERVED, Target.PAGES_NOT_OBSERVED);
  }

  /** The expectation of the last recorded step. */
  public Expectation lastExpected() {
    return records.getLast().expected().orElseThrow();
  }

  /** The model's allowed observations of {@code action} from the current states, taken (as if observed) so the model moves on. */
  public Expectation modelStep(Action action) {
    AllowedObservations allowed = allowed(action);
    model().keep(allowed, allowed.sorted().getFirst());
    return Expectation.model(asTheKernelShowsIt(allowed.sorted().getFirst()));
  }

  /** The kernel performs {@code action} outside the model's view; the UAPI documents {@code result} (nobody released). */
  public StepObservation expectUapi(Action action, Observation result) {
    return expectUapi(action, KernelVm.shows(result));
  }

  /** The kernel performs {@code action} outside the model's view; the UAPI documents {@code expected}. */
  public StepObservation expectUapi(Action action, StepObservation expected) {
    return check(action.show(), () -> target.step(action), Expectation.uapi(expected), Function.identity());
  }

  /** The kernel makes {@code call}; the UAPI documents {@code result}. */
  public StepObservation expectUapi(ApiCall call, Observation result) {
    return check(call.show(), () -> target.call(call), Expectation.uapi(KernelVm.shows(result)), Function.identity());
  }

  /**
   * The kernel makes {@code call}; the UAPI documents each of {@code results} as correct (revisions and careful
   * implementations differ, facts section 1). Returns what the kernel showed, so the rule can go on from there.
   */
  public StepObservation expectUapiOneOf(ApiCall call, List<Observation> results) {
    return check(call.show(), () -> target.call(call), Expectation.uapi(results.stream().map(KernelVm::shows).toList()), Function.identity());
  }

  /**
   * ReadMappings: the kernel's pages_2m must be {@code base2m} (the VM's own huge mappings before the rule
   * touched its slot) plus the frames the model maps huge. Returns the kernel's counts.
   */
  public StepObservation expectHugeFrames(long base2m) {
    List<StepObservation> allowed = model().states().stream()
        .map(s -> hugeOnly((int) base2m + Observations.pages2m(model().config(), s.view()))).distinct().toList();
    return check(new ApiCall.ReadMappings().show(), () -> target.call(new ApiCall.ReadMappings()), Expectation.model(allowed),
        o -> hugeOnly(o.pages2m()));
  }

  private static StepObservation hugeOnly(int pages2m) {
    return new StepObservation(new Observation.Done(), Map.of(), Target.PAGES_NOT_OBSERVED, pages2m);
  }

  /**
   * Performs a step, compares {@code view(observed)} with the (possibly tampered) expectation, and records the
   * step. Returns the raw observation.
   */
  private StepObservation check(String step, KernelStep call, Expectation expected, Function<StepObservation, StepObservation> view) {
    int index = records.size() + 1;
    Expectation e = context.tamper().apply(index, expected);
    StepObservation raw = kernel(step, call);
    record(index, step, e, view.apply(raw));
    return raw;
  }

  private void record(int index, String step, Expectation e, StepObservation seen) {
    StepRecord r = new StepRecord(index, step, Optional.of(e), Optional.of(seen), false);
    records.add(r);
    if (!r.matches()) throw new Stop(RuleResult.Status.DIVERGENCE, Optional.empty());
  }

  /**
   * The kernel performs every action of {@code actions} (outside the model's view); each must show {@code
   * expected}. Recorded as one step labelled {@code label} (with the first differing observation, if any), so a
   * 512-page touch stays one line.
   */
  public void expectAll(String label, List<Action> actions, Expectation expected) {
    expectEach(label, actions.stream().map(a -> new Labelled(a.show(), () -> target.step(a))).toList(), expected);
  }

  /**
   * The kernel makes every call of {@code calls}; each must show {@code result} (the UAPI's). Recorded as one step
   * labelled {@code label} (with the first differing call, if any).
   */
  public void expectAllCalls(String label, List<ApiCall> calls, Observation result) {
    expectEach(label, calls.stream().map(c -> new Labelled(c.show(), () -> target.call(c))).toList(),
        Expectation.uapi(KernelVm.shows(result)));
  }

  private record Labelled(String show, KernelStep step) {}

  private void expectEach(String label, List<Labelled> steps, Expectation expected) {
    int index = records.size() + 1;
    Expectation e = context.tamper().apply(index, expected);
    StepObservation seen = null;
    for (Labelled s : steps) {
      seen = kernel(s.show(), s.step());
      if (!e.matches(seen)) {
        label = label + ", at " + s.show();
        break;
      }
    }
    record(index, label, e, seen);
  }

  /** The kernel makes {@code call} to set the scene; nothing is predicted (an unsupported call still stops the rule). */
  public StepObservation run(ApiCall call) {
    StepObservation o = kernel(call.show(), () -> target.call(call));
    records.add(new StepRecord(records.size() + 1, call.show(), Optional.empty(), Optional.of(o), false));
    return o;
  }

  /**
   * The model takes {@code action} with no kernel step: how a rule reaches the model state the kernel is in (the
   * kernel target is told what the model says it showed, e.g. the exit its handler's Install then acts on).
   */
  public void modelOnly(Action action) {
    AllowedObservations allowed = model().assume(action);
    if (allowed.enabledIn() == 0) {
      throw new Stop(RuleResult.Status.DIVERGENCE, Optional.of("the model does not allow " + action.show() + " here"));
    }
    Expectation e = Expectation.model(allowed.sorted().stream().map(this::asTheKernelShowsIt).distinct().toList());
    if (allowed.sorted().size() == 1) target.assume(action, allowed.sorted().getFirst());
    if (allowed.sorted().stream().anyMatch(o -> o.result() instanceof Observation.SrcuWait)) modelOnlyCalls.add(action.actorName());
    records.add(new StepRecord(records.size() + 1, action.show(), Optional.of(e), Optional.empty(), true));
  }

  /**
   * The target's UAPI profile, which must have KVM Userfault: otherwise the rule ends unsupported (rule
   * userfault-flag-einval is the one that checks such a kernel's refusal).
   */
  public kvmuf.kvm.UapiProfile requireUserfaultProfile() {
    kvmuf.kvm.UapiProfile p = target.profile();
    if (!p.hasUserfault()) unsupported("profile " + p.id() + " has no KVM_MEM_USERFAULT (rule userfault-flag-einval covers it)");
    return p;
  }

  /** Ends the rule as unsupported (a precondition the kernel or host does not meet). */
  public void unsupported(String reason) {
    throw new Stop(RuleResult.Status.UNSUPPORTED, Optional.of(unsupportedReason(reason)));
  }

  private static String unsupportedReason(String reason) {
    return reason.startsWith("unsupported: ") ? reason : "unsupported: " + reason;
  }

  @FunctionalInterface
  private interface KernelStep {
    Optional<StepObservation> run();
  }

  private StepObservation kernel(String step, KernelStep call) {
    kernelSteps++;
    Optional<StepObservation> o = call.run();
    if (o.isEmpty()) {
      String why = target.unsupported().orElse("the kernel target cannot perform it here");
      records.add(new StepRecord(records.size() + 1, step, Optional.empty(), Optional.empty(), false, Optional.of(why)));
      throw new Stop(RuleResult.Status.UNSUPPORTED, Optional.of(step.replaceFirst("\\(.*", "") + ": " + unsupportedReason(why)));
    }
    return o.get();
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

  private AllowedObservations allowed(Action action) {
    AllowedObservations allowed = model().allowed(action);
    if (allowed.enabledIn() == 0) {
      // Only a changed model gets here (the shipped scripts follow the model): the model and the script part ways.
      throw new Stop(RuleResult.Status.DIVERGENCE, Optional.of("the model does not allow " + action.show() + " after the steps before it"));
    }
    return allowed;
  }
}
