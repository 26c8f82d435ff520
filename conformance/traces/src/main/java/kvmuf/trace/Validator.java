package kvmuf.trace;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import kvmuf.model.Config;
import kvmuf.model.Model;
import kvmuf.model.Observations;
import kvmuf.model.State;
import kvmuf.model.StepObservation;

/**
 * Validates an observed log, possibly written by concurrent actors (vCPU threads, the uffd
 * reader, the VMM), in the herd7 / klitmus7 style "observed is a behaviour of the model". Each
 * line is one call, logged when it returned: its visible action happened at some point after the
 * actor's previous line returned and no later than its own line. The validator searches the set of
 * model states consistent with the lines so far, filling in between lines any hidden steps (any
 * actor's fault path, memslot commits) and the early start of other actors' next calls (at most
 * {@link #WINDOW} lines ahead); a line is explained when, in some reachable state, its actor's call
 * has returned with the logged observation.
 *
 * <p>Compared per line: the actor's own result, the mapping sizes (unless logged as not observed, -1), and each logged
 * {@code unblocked} entry (that actor's earlier call must have returned with that result by then).
 * A log may omit {@code unblocked} entries: in a concurrent log each thread may log only its own
 * call's return.
 */
public final class Validator {
  /** How far ahead (in lines) another actor's call may start before this line returns. */
  public static final int WINDOW = 16;
  /** Search nodes per line before the search gives up (the result then says so). */
  public static final int DEFAULT_BOUND = 500_000;

  private final int bound;

  public Validator() {
    this(DEFAULT_BOUND);
  }

  public Validator(int bound) {
    this.bound = bound;
  }

  /** A call whose visible action ran in {@code before} but whose line has not been reached yet. */
  record Pending(int step, State before) {}

  record Node(State s, List<Pending> pending) {}

  /**
   * @param explained lines explained from the start (the longest explained prefix)
   * @param firstUnexplained the step index of the first line no behaviour explains (-1: all explained)
   * @param boundHit the search gave up on a line (the verdict is then "undecided", not "rejected")
   * @param mostNodes the most search nodes one line needed
   */
  public record Result(Trace trace, int explained, int firstUnexplained, int firstUnexplainedLine, boolean boundHit,
      int mostNodes, Optional<StepObservation> loggedAtFailure, List<StepObservation> possibleAtFailure) {
    public boolean accepted() {
      return firstUnexplained < 0;
    }

    /** Rejected for sure: no behaviour explains a line and the search never gave up. */
    public boolean rejected() {
      return firstUnexplained >= 0 && !boundHit;
    }
  }

  public Result validate(Trace t) {
    Config c = t.header().config();
    Model model = new Model(c);
    HiddenClosure hidden = new HiddenClosure(model);
    List<TraceStep> steps = t.steps();
    List<String> actors = new ArrayList<>();
    for (TraceStep s : steps) {
      actors.add(s.actor());
    }
    Set<Node> frontier = new LinkedHashSet<>();
    frontier.add(new Node(model.init(), List.of()));
    int most = 0;
    boolean anyHit = false;
    for (int k = 0; k < steps.size(); k++) {
      TraceStep step = steps.get(k);
      StepObservation logged = step.observedForm() ? step.observed() : null;
      Set<Node> seen = new LinkedHashSet<>(frontier);
      ArrayDeque<Node> work = new ArrayDeque<>(frontier);
      Set<Node> accepted = new LinkedHashSet<>();
      Set<StepObservation> possible = new LinkedHashSet<>();
      boolean hit = false;
      while (!work.isEmpty()) {
        Node n = work.poll();
        Pending mine = pendingOf(n, k);
        if (mine != null) {
          Optional<StepObservation> o = Observations.step(c, step.action().code(), mine.before().view(), n.s().view());
          if (o.isPresent()) {
            StepObservation seenObs = o.get();
            if (possible.size() < 64) {
              possible.add(seenObs);
            }
            boolean match = logged != null ? explains(seenObs, logged)
                : step.observations().stream().anyMatch(e -> explains(seenObs, e));
            if (match) {
              List<Pending> rest = new ArrayList<>(n.pending());
              rest.remove(mine);
              accepted.add(new Node(n.s(), List.copyOf(rest)));
            }
          }
        }
        List<Node> next = new ArrayList<>();
        for (State h : hidden.hiddenSuccessors(n.s())) {
          next.add(new Node(h, n.pending()));
        }
        for (int j = k; j < Math.min(steps.size(), k + WINDOW + 1); j++) {
          String who = actors.get(j);
          if (busy(n, who, actors) || !firstOfActor(actors, k, j, who)) {
            continue;
          }
          State after = ApiStep.apply(model, n.s(), steps.get(j).action());
          if (after != null) {
            List<Pending> p = new ArrayList<>(n.pending());
            p.add(new Pending(j, n.s()));
            p.sort(java.util.Comparator.comparingInt(Pending::step)); // one node per set of calls in flight
            next.add(new Node(after, List.copyOf(p)));
          }
        }
        for (Node x : next) {
          if (seen.size() >= bound) {
            hit = true;
            break;
          }
          if (seen.add(x)) {
            work.add(x);
          }
        }
        if (hit) {
          break;
        }
      }
      most = Math.max(most, seen.size());
      anyHit |= hit;
      if (accepted.isEmpty()) {
        return new Result(t, k, k, step.line(), anyHit, most, Optional.ofNullable(logged), List.copyOf(possible));
      }
      // With the bound hit, accepted holds real behaviours (acceptance stays sound); only a later
      // rejection becomes "undecided".
      frontier = accepted;
    }
    return new Result(t, steps.size(), -1, -1, anyHit, most, Optional.empty(), List.of());
  }

  /**
   * The model's observation explains the logged one: same result, same sizes (unless the log says it did not
   * observe one or both: {@link Target#PAGES_NOT_OBSERVED} there), logged unblocked entries present.
   */
  static boolean explains(StepObservation model, StepObservation logged) {
    if (!model.result().equals(logged.result())) {
      return false;
    }
    if (logged.pages4k() != Target.PAGES_NOT_OBSERVED && model.pages4k() != logged.pages4k()) {
      return false;
    }
    if (logged.pages2m() != Target.PAGES_NOT_OBSERVED && model.pages2m() != logged.pages2m()) {
      return false;
    }
    for (var e : logged.unblocked().entrySet()) {
      if (!e.getValue().equals(model.unblocked().get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  private static Pending pendingOf(Node n, int step) {
    for (Pending p : n.pending()) {
      if (p.step() == step) {
        return p;
      }
    }
    return null;
  }

  /** The actor has a call in flight. */
  private static boolean busy(Node n, String who, List<String> actors) {
    for (Pending p : n.pending()) {
      if (actors.get(p.step()).equals(who)) {
        return true;
      }
    }
    return false;
  }

  /** Line j is the actor's first line at or after the current line k (its next call). */
  private static boolean firstOfActor(List<String> actors, int k, int j, String who) {
    for (int x = k; x < j; x++) {
      if (actors.get(x).equals(who)) {
        return false;
      }
    }
    return true;
  }
}
