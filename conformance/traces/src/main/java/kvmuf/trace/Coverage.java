package kvmuf.trace;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.Observation;
import kvmuf.model.State;
import kvmuf.model.StepObservation;

/**
 * What a corpus exercises: visible actions, observation kinds (the actor's and the unblocked
 * ones), observation details (kind with its value, errno or flags, e.g. {@code read:fetched},
 * {@code ioctl:EEXIST}) and distinct model states the replay reference went through. Counting is
 * by action code, kind ordinal and observation record (cheap on the replay path); names are made
 * for the report only.
 */
public final class Coverage {
  /** Every action code kind (the action table's, so a new kind needs no change here). */
  private static final int ACTION_KINDS = Action.kinds().size();

  private final Config config;
  private final long[] actions = new long[ACTION_KINDS];
  private final long[] kinds = new long[Observation.Kind.values().length];
  private final Map<Observation, Long> results = new HashMap<>();
  private final Set<String> detailSet = new HashSet<>();
  private final Set<State> states = new HashSet<>();
  private long steps;

  public Coverage(Config config) {
    this.config = config;
  }

  public void step(Action a, StepObservation o) {
    steps++;
    actions[a.code() >>> 6]++;
    observation(o);
  }

  public void observation(StepObservation o) {
    result(o.result());
    if (!o.unblocked().isEmpty()) {
      for (Observation u : o.unblocked().values()) {
        result(u);
      }
    }
  }

  private void result(Observation r) {
    kinds[r.kind().ordinal()]++;
    if (results.merge(r, 1L, Long::sum) == 1L) {
      detailSet.add(detail(r));
    }
  }

  public void state(State s) {
    states.add(s);
  }

  public boolean seenAction(Action a) { return actions[a.code() >>> 6] > 0; }
  public boolean seenKind(Observation.Kind k) { return kinds[k.ordinal()] > 0; }
  public boolean seenDetail(Observation r) { return detailSet.contains(detail(r)); }
  public boolean seenState(State s) { return states.contains(s); }
  public long actionCount(Action a) { return actions[a.code() >>> 6]; }
  public long kindCount(Observation.Kind k) { return kinds[k.ordinal()]; }

  public static String detail(Observation r) {
    return switch (r) {
      case Observation.Read x -> "read:" + x.value().tla;
      case Observation.KvmRead x -> "kvm_read:" + x.value().tla;
      case Observation.MemoryFaultExit x -> "memory_fault_exit:" + String.join("|", x.flags());
      case Observation.Ioctl x -> "ioctl:" + x.result();
      case Observation.UffdEvent x -> x.flags().isEmpty() ? "uffd_event" : "uffd_event:" + String.join("|", x.flags());
      default -> r.kind().id;
    };
  }

  public void merge(Coverage o) {
    steps += o.steps;
    for (int k = 0; k < actions.length; k++) {
      actions[k] += o.actions[k];
    }
    for (int k = 0; k < kinds.length; k++) {
      kinds[k] += o.kinds[k];
    }
    o.results.forEach((k, v) -> results.merge(k, v, Long::sum));
    detailSet.addAll(o.detailSet);
    states.addAll(o.states);
  }

  private static String actionName(int kind) {
    return Action.decode(kind << 6).name();
  }

  public Map<String, Long> actions() {
    Map<String, Long> m = new TreeMap<>();
    for (int k = 0; k < actions.length; k++) {
      if (actions[k] > 0) {
        m.put(actionName(k), actions[k]);
      }
    }
    return m;
  }

  public Map<String, Long> kinds() {
    Map<String, Long> m = new TreeMap<>();
    for (Observation.Kind k : Observation.Kind.values()) {
      if (kinds[k.ordinal()] > 0) {
        m.put(k.id, kinds[k.ordinal()]);
      }
    }
    return m;
  }

  public Map<String, Long> details() {
    Map<String, Long> m = new TreeMap<>();
    results.forEach((r, n) -> m.merge(detail(r), n, Long::sum));
    return m;
  }

  public List<String> missingActions() {
    Map<String, Long> seen = actions();
    List<String> out = new ArrayList<>();
    for (String a : possibleActions(config)) {
      if (!seen.containsKey(a)) {
        out.add(a);
      }
    }
    return out;
  }

  public List<String> missingKinds() {
    List<String> out = new ArrayList<>();
    for (Observation.Kind k : Observation.possibleKinds(config)) {
      if (kinds[k.ordinal()] == 0) {
        out.add(k.id);
      }
    }
    return out;
  }

  /**
   * The visible actions a config can enable at all (from its constants, a static
   * over-approximation like {@link Observation#possibleKinds}): UffdWake needs an EEXIST, which
   * needs the exit handler (USERFAULT in use) to install a page a uffd message is pending for.
   */
  public static List<String> possibleActions(Config c) {
    List<String> out = new ArrayList<>();
    boolean uffd = Observation.uffdReachable(c);
    boolean uf = c.userfaultUse() != Config.UserfaultUse.NONE;
    boolean late = c.userfaultUse() == Config.UserfaultUse.LATE;
    for (String a : TraceCodec.actionNames()) {
      boolean possible = switch (a) {
        case "KvmAccess" -> c.kvmAccesses();
        case "Install", "ClearBit", "ResumeVcpu" -> uf;
        case "UffdRead", "UffdInstall" -> uffd;
        case "UffdWake" -> uffd && uf;
        case "SetBit", "EnableUserfault" -> late;
        case "DisableUserfault" -> uf;
        case "EnableDirtyLog", "DisableDirtyLog" -> c.dirtyLog();
        case "InvalidateBegin" -> c.maxInvalidate() > 0;
        case "AccessWrite" -> c.writes();
        case "FetchInstall", "FetchClearBit" -> c.backgroundFetch();
        default -> true;
      };
      if (possible) {
        out.add(a);
      }
    }
    return out;
  }

  public long steps() {
    return steps;
  }

  public int stateCount() {
    return states.size();
  }

  /** The report: counts per action, kind and detail, distinct states, and what the config allows but was not seen. */
  public Map<String, Object> json() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("steps", steps);
    m.put("actions", actions());
    m.put("actionsMissing", missingActions());
    m.put("observationKinds", kinds());
    m.put("observationKindsMissing", missingKinds());
    m.put("observationDetails", details());
    m.put("distinctStates", states.size());
    return m;
  }

  public List<String> text() {
    List<String> out = new ArrayList<>();
    List<String> pa = possibleActions(config);
    Set<Observation.Kind> pk = Observation.possibleKinds(config);
    Map<String, Long> details = details();
    out.add(String.format("coverage: %d/%d actions, %d/%d observation kinds, %d details, %d distinct states, %d steps",
        pa.size() - missingActions().size(), pa.size(), pk.size() - missingKinds().size(), pk.size(),
        details.size(), states.size(), steps));
    out.add("  actions: " + actions());
    out.add("  observation kinds: " + kinds());
    out.add("  details: " + details);
    if (!missingActions().isEmpty()) {
      out.add("  actions never taken: " + String.join(", ", missingActions()));
    }
    if (!missingKinds().isEmpty()) {
      out.add("  observation kinds never seen: " + String.join(", ", missingKinds()));
    }
    return out;
  }
}
