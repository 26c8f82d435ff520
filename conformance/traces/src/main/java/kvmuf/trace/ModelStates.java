package kvmuf.trace;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.Invariant;
import kvmuf.model.State;
import kvmuf.model.StepObservation;

/**
 * The model as the one oracle of every replay: the set of model states consistent with what a target showed
 * so far. For a step it gives the allowed observations ({@link AllowedObservations}: the action from each
 * state, every interleaving of the hidden steps after it) and keeps only the outcome states that show what
 * the target showed. The {@link Replayer} steps it along a trace; a named rule's script steps it the same way,
 * between the UAPI calls the model has no word for.
 */
public final class ModelStates {
  private final ApiModel model;
  private List<State> states;

  public ModelStates(ApiModel model) {
    this.model = model;
    this.states = List.of(model.init());
  }

  public ModelStates(Config config) {
    this(new ApiModel(config));
  }

  public Config config() {
    return model.config();
  }

  public List<State> states() {
    return states;
  }

  /** The observations the model allows for {@code a} from the states kept so far. */
  public AllowedObservations allowed(Action a) {
    return model.allowed(states, a);
  }

  /**
   * Keeps the outcome states of {@code allowed} that show {@code o}; a target that did not observe the
   * mapping counts ({@link Target#PAGES_NOT_OBSERVED}) is matched on the rest. False (states unchanged) when
   * the model allows no such observation.
   */
  public boolean keep(AllowedObservations allowed, StepObservation o) {
    Set<State> next = outcomes(allowed, o);
    if (next == null) {
      return false;
    }
    states = next.size() == 1 ? List.of(next.iterator().next()) : List.copyOf(next);
    return true;
  }

  /** Keeps the outcome states of {@code allowed} whose observation passes {@code shown}; false (unchanged) when none does. */
  public boolean keep(AllowedObservations allowed, java.util.function.Predicate<StepObservation> shown) {
    Set<State> next = new LinkedHashSet<>();
    allowed.byObservation().forEach((o, qs) -> {
      if (shown.test(o)) {
        next.addAll(qs);
      }
    });
    if (next.isEmpty()) {
      return false;
    }
    states = next.size() == 1 ? List.of(next.iterator().next()) : List.copyOf(next);
    return true;
  }

  /** A step the model takes without the target (a rule reaching the model state the kernel is put in directly): every outcome. */
  public AllowedObservations assume(Action a) {
    AllowedObservations allowed = allowed(a);
    Set<State> next = new LinkedHashSet<>();
    allowed.byObservation().values().forEach(next::addAll);
    if (!next.isEmpty()) {
      states = List.copyOf(next);
    }
    return allowed;
  }

  /** The outcome states showing {@code o} (comparing the page counts the target observed); null when none. */
  static Set<State> outcomes(AllowedObservations allowed, StepObservation o) {
    if (o.pages4k() != Target.PAGES_NOT_OBSERVED && o.pages2m() != Target.PAGES_NOT_OBSERVED) {
      return allowed.byObservation().get(o);
    }
    Set<State> out = null;
    for (var e : allowed.byObservation().entrySet()) {
      if (shows(o, e.getKey())) {
        if (out == null) {
          out = new LinkedHashSet<>();
        }
        out.addAll(e.getValue());
      }
    }
    return out;
  }

  /**
   * Whether {@code o} is among {@code allowed}, comparing the page counts the target observed: both, one (a rule's
   * ReadMappings compares pages_2m only) or none ({@link Target#PAGES_NOT_OBSERVED}).
   */
  public static boolean allows(List<StepObservation> allowed, StepObservation o) {
    if (o.pages4k() != Target.PAGES_NOT_OBSERVED && o.pages2m() != Target.PAGES_NOT_OBSERVED) {
      return allowed.contains(o);
    }
    return allowed.stream().anyMatch(e -> shows(o, e));
  }

  /** {@code o} is {@code e} in every part the target observed (a page count of {@link Target#PAGES_NOT_OBSERVED} is not compared). */
  static boolean shows(StepObservation o, StepObservation e) {
    return samePagesAside(o, e)
        && (o.pages4k() == Target.PAGES_NOT_OBSERVED || o.pages4k() == e.pages4k())
        && (o.pages2m() == Target.PAGES_NOT_OBSERVED || o.pages2m() == e.pages2m());
  }

  static boolean samePagesAside(StepObservation a, StepObservation b) {
    return a.result().equals(b.result()) && a.unblocked().equals(b.unblocked());
  }

  /** The first of the config's invariants (in its order) that some kept state breaks. */
  public Optional<String> violated() {
    if (states.size() == 1) {
      String v = model.violated(states.getFirst());
      return v.isEmpty() ? Optional.empty() : Optional.of(v);
    }
    for (Invariant inv : model.config().invariants()) {
      for (State s : states) {
        if (!inv.holds(model.config(), s.view())) {
          return Optional.of(inv.name());
        }
      }
    }
    return Optional.empty();
  }
}
