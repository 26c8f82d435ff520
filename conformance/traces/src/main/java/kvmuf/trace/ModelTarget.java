package kvmuf.trace;

import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.State;
import kvmuf.model.StepObservation;

/**
 * The Java model as a target: it holds one concrete state and resolves each step's hidden
 * nondeterminism by a choice: {@code FIRST} follows the first allowed observation in canonical
 * order (what the generator follows, so generated traces replay step for step), {@code RANDOM}
 * draws among the outcomes from a stream seeded by the trace header's seed (a self-check that the
 * replayer handles every branch).
 */
public final class ModelTarget implements Target {
  public enum Choice { FIRST, RANDOM }

  private final Choice choice;
  private ApiModel api;
  private State state;
  private SplittableRandom rnd;

  public ModelTarget(Choice choice) {
    this.choice = choice;
  }

  @Override
  public String name() {
    return "model";
  }

  @Override
  public void start(TraceHeader header) {
    Config c = header.config();
    if (api == null || !api.config().equals(c)) {
      api = new ApiModel(c);
    }
    state = api.init();
    rnd = new SplittableRandom(header.seed());
  }

  @Override
  public Optional<StepObservation> step(Action action) {
    AllowedObservations a = api.allowed(state, action);
    if (a.enabledIn() == 0) {
      return Optional.empty();
    }
    List<StepObservation> sorted = a.sorted();
    StepObservation o = choice == Choice.FIRST ? sorted.getFirst() : sorted.get(rnd.nextInt(sorted.size()));
    var outcomes = a.byObservation().get(o);
    state = outcomes.size() == 1 ? outcomes.iterator().next() : List.copyOf(outcomes).get(rnd.nextInt(outcomes.size()));
    return Optional.of(o);
  }

  /** The target's current model state (tests). */
  public State state() {
    return state;
  }
}
