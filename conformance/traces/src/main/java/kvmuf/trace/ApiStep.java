package kvmuf.trace;

import java.util.ArrayList;
import java.util.List;
import kvmuf.model.Action;
import kvmuf.model.Model;
import kvmuf.model.State;

/**
 * An API-level step: one visible action (an ioctl, a uffd call, a bitmap store, a guest access)
 * followed by the hidden steps that run until the actor's result is observable. In deterministic
 * replay the step runs to quiescence (see {@link HiddenClosure}): {@code Access} runs the fault
 * path to its end (a value, a USERFAULT exit, or asleep in userfaultfd), a memslot update includes
 * its commit when no SRCU reader holds it back, a UFFDIO_COPY includes the woken vCPUs' faults.
 */
public final class ApiStep {
  private ApiStep() {}

  /** The state after the visible action itself (no hidden steps), or null when it is not enabled in s. */
  public static State apply(Model model, State s, Action a) {
    int code = a.code();
    State[] out = new State[1];
    model.successors(s.view(), (c, next) -> {
      if (c == code) {
        out[0] = new State(next);
      }
    });
    return out[0];
  }

  /** The distinct visible actions enabled in s, in the model's action order (as codes). */
  public static List<Integer> enabled(Model model, State s) {
    List<Integer> out = new ArrayList<>();
    model.successors(s.view(), (c, next) -> {
      if (Action.visible(c) && !out.contains(c)) {
        out.add(c);
      }
    });
    return out;
  }
}
