package kvmuf.conform;

import java.util.List;
import kvmuf.model.Action;

/** The steps of a named rule: what it does with a {@link RuleRun}. */
@FunctionalInterface
public interface Script {
  void run(RuleRun run);

  /** The model's actions in order, each performed on the kernel and compared with what the model says it shows. */
  static Script actions(Action... actions) {
    List<Action> steps = List.of(actions);
    return run -> steps.forEach(run::expect);
  }

  /** This script, then {@code next}. */
  default Script then(Script next) {
    return run -> {
      run(run);
      next.run(run);
    };
  }
}
