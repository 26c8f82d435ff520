package kvmuf.trace;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import kvmuf.model.Action;
import kvmuf.model.Model;
import kvmuf.model.State;

/**
 * The closure of a state over hidden steps (CheckBitmap, Lookup, InstallSpte, CommitMemslot) in
 * every interleaving. A state is quiescent when no hidden step is enabled: every vCPU is running
 * guest code, exited to userspace or asleep in userfaultfd, and no memslot commit can run.
 * Hidden steps always make progress (each moves a fault path forward or commits), so closures are
 * small; {@link #bound()} caps the states one closure may visit, and a result says if it was hit.
 */
public final class HiddenClosure {
  public static final int DEFAULT_BOUND = 10_000;

  private final Model model;
  private final int bound;

  public record Result(List<State> quiescent, List<State> all, boolean boundHit) {}

  public HiddenClosure(Model model) {
    this(model, DEFAULT_BOUND);
  }

  public HiddenClosure(Model model, int bound) {
    this.model = model;
    this.bound = bound;
  }

  public int bound() {
    return bound;
  }

  /** Hidden successors of one state, in the model's action order. */
  public List<State> hiddenSuccessors(State s) {
    List<State> out = new ArrayList<>(2);
    model.successors(s.view(), (a, next) -> {
      if (Action.hidden(a)) {
        out.add(new State(next));
      }
    });
    return out;
  }

  /** Every state reachable from {@code start} by hidden steps (start included), and the quiescent ones. */
  public Result close(State start) {
    List<State> first = hiddenSuccessors(start);
    if (first.isEmpty()) {
      return new Result(List.of(start), List.of(start), false);
    }
    Set<State> seen = new LinkedHashSet<>();
    List<State> quiescent = new ArrayList<>();
    ArrayDeque<State> work = new ArrayDeque<>();
    seen.add(start);
    seen.addAll(first);
    work.addAll(first);
    boolean hit = false;
    while (!work.isEmpty()) {
      State s = work.poll();
      List<State> next = hiddenSuccessors(s);
      if (next.isEmpty()) {
        quiescent.add(s);
        continue;
      }
      for (State n : next) {
        if (seen.size() >= bound) {
          hit = true;
          break;
        }
        if (seen.add(n)) {
          work.add(n);
        }
      }
    }
    return new Result(quiescent, new ArrayList<>(seen), hit);
  }
}
