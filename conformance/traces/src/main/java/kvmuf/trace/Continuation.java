package kvmuf.trace;

import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import kvmuf.model.Action;

/**
 * The rest of a trace drawn on the branch the target took. A generated trace follows one branch of each step
 * (the first observation of its expect set); when the target takes another allowed branch (a woken fault reads
 * where the trace's branch exited, say), later steps of the file may not be enabled on it. Rather than stop there,
 * the replay can go on with steps drawn as the random generator draws them: a visible action enabled in every state
 * the model still holds possible, uniformly, from a stream that is a function of the trace's seed and name and the
 * step's index only, so the same trace on the same kernel continues the same way.
 */
final class Continuation {
  private final ApiModel model;
  private final SplittableRandom rnd;

  Continuation(ApiModel model, TraceHeader header, String traceName, int fromStep) {
    this.model = model;
    long h = header.seed() * 0x9E3779B97F4A7C15L + traceName.hashCode() * 0xC2B2AE3D27D4EB4FL + fromStep * 0x165667B19E3779F9L
        + 0x636F6E74L; // "cont": apart from the generator's and the concurrent mode's streams
    h ^= h >>> 31;
    this.rnd = new SplittableRandom(h);
  }

  /** The next step's action on the states the target reached, or empty when none is enabled in all of them. */
  Optional<Action> next(ModelStates states) {
    List<Integer> codes = Generator.enabledInEvery(model.model(), states.states());
    return codes.isEmpty() ? Optional.empty() : Optional.of(Action.decode(codes.get(rnd.nextInt(codes.size()))));
  }
}
