package kvmuf.trace;

import java.util.ArrayList;
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
 * {@code ioctl:EEXIST}) and distinct model states the replay reference went through.
 */
public final class Coverage {
  private final Config config;
  private final Map<String, Long> actions = new TreeMap<>();
  private final Map<String, Long> kinds = new TreeMap<>();
  private final Map<String, Long> details = new TreeMap<>();
  private final java.util.HashSet<State> states = new java.util.HashSet<>();
  private long steps;

  public Coverage(Config config) {
    this.config = config;
  }

  public void step(Action a, StepObservation o) {
    steps++;
    actions.merge(a.name(), 1L, Long::sum);
    observation(o);
  }

  public void observation(StepObservation o) {
    result(o.result());
    for (Observation u : o.unblocked().values()) {
      result(u);
    }
  }

  private void result(Observation r) {
    kinds.merge(r.kind().id, 1L, Long::sum);
    details.merge(detail(r), 1L, Long::sum);
  }

  public void state(State s) {
    states.add(s);
  }

  public boolean seenAction(String name) { return actions.containsKey(name); }
  public boolean seenKind(Observation.Kind k) { return kinds.containsKey(k.id); }
  public boolean seenDetail(Observation r) { return details.containsKey(detail(r)); }
  public boolean seenState(State s) { return states.contains(s); }
  public long actionCount(String name) { return actions.getOrDefault(name, 0L); }
  public long kindCount(Observation.Kind k) { return kinds.getOrDefault(k.id, 0L); }

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
    o.actions.forEach((k, v) -> actions.merge(k, v, Long::sum));
    o.kinds.forEach((k, v) -> kinds.merge(k, v, Long::sum));
    o.details.forEach((k, v) -> details.merge(k, v, Long::sum));
    states.addAll(o.states);
  }

  public List<String> missingActions() {
    List<String> out = new ArrayList<>();
    for (String a : possibleActions(config)) {
      if (!actions.containsKey(a)) {
        out.add(a);
      }
    }
    return out;
  }

  public List<String> missingKinds() {
    List<String> out = new ArrayList<>();
    for (Observation.Kind k : Observation.possibleKinds(config)) {
      if (!kinds.containsKey(k.id)) {
        out.add(k.id);
      }
    }
    return out;
  }

  /** The visible actions a config can enable at all (from its constants). */
  public static List<String> possibleActions(Config c) {
    List<String> out = new ArrayList<>();
    boolean uffd = c.uffdMode() != Config.UffdMode.NONE;
    boolean uf = c.userfaultUse() != Config.UserfaultUse.NONE;
    boolean late = c.userfaultUse() == Config.UserfaultUse.LATE;
    for (String a : TraceCodec.actionNames()) {
      boolean possible = switch (a) {
        case "KvmAccess" -> c.kvmAccesses();
        case "Install", "ClearBit", "ResumeVcpu" -> uf;
        case "UffdRead", "UffdInstall", "UffdWake" -> uffd;
        case "SetBit", "EnableUserfault" -> late;
        case "DisableUserfault" -> uf;
        case "EnableDirtyLog", "DisableDirtyLog" -> c.dirtyLog();
        case "Invalidate" -> c.maxInvalidate() > 0;
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
    m.put("actions", new TreeMap<>(actions));
    m.put("actions_missing", missingActions());
    m.put("observation_kinds", new TreeMap<>(kinds));
    m.put("observation_kinds_missing", missingKinds());
    m.put("observation_details", new TreeMap<>(details));
    m.put("distinct_states", states.size());
    return m;
  }

  public List<String> text() {
    List<String> out = new ArrayList<>();
    List<String> pa = possibleActions(config);
    Set<Observation.Kind> pk = Observation.possibleKinds(config);
    out.add(String.format("coverage: %d/%d actions, %d/%d observation kinds, %d details, %d distinct states, %d steps",
        pa.size() - missingActions().size(), pa.size(), pk.size() - missingKinds().size(), pk.size(),
        details.size(), states.size(), steps));
    out.add("  actions: " + actions);
    out.add("  observation kinds: " + kinds);
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
