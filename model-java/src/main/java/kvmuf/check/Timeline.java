package kvmuf.check;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import kvmuf.model.Action;

/**
 * A counterexample drawn as a timeline: one step per line with the actor, the action and the
 * variables that changed (function-valued variables show only the entries that changed). The actor
 * comes from the model's action table ({@link Action#info}), which is why this lives in model-java.
 */
public final class Timeline {

  /** One changed variable entry: {@code pc[v1]: "idle" -> "faulted"}. */
  public record Change(String variable, Optional<String> key, String before, String after) {
    public String text() {
      return variable + key.map(k -> "[" + k + "]").orElse("") + ": " + before + " -> " + after;
    }
  }

  /** One step: the actor that took it, the action, and what changed. */
  public record Row(int index, String actor, String action, List<Change> changes) {}

  /** Per-vCPU variables: the key whose entry changed names the vCPU that acted. */
  private static final Set<String> VCPU_VARS = Set.of("pc", "vgfn", "vkind", "vseq", "vgen", "budget", "exitFlags");

  private Timeline() {}

  public static List<Row> of(List<TraceState> trace) {
    List<Row> steps = new ArrayList<>();
    for (int i = 0; i < trace.size(); i++) {
      TraceState s = trace.get(i);
      List<Change> changes = i == 0 ? initial(s) : diff(trace.get(i - 1), s);
      steps.add(new Row(s.index(), actor(s.action(), changes), s.action(), changes));
    }
    return steps;
  }

  public static List<String> lines(List<TraceState> trace) {
    List<String> out = new ArrayList<>();
    for (Row step : of(trace)) {
      String what = step.changes().stream().map(Change::text).reduce((a, b) -> a + ", " + b).orElse("(no change)");
      if (step.index() == 1) {
        out.add(String.format("%3d  %-22s %-16s", step.index(), "-", "Init"));
      } else {
        out.add(String.format("%3d  %-22s %-16s %s", step.index(), step.actor(), step.action(), what));
      }
    }
    return out;
  }

  private static List<Change> initial(TraceState s) {
    List<Change> out = new ArrayList<>();
    s.vars().forEach((k, v) -> out.add(new Change(k, Optional.empty(), "", v)));
    return out;
  }

  static List<Change> diff(TraceState a, TraceState b) {
    List<Change> out = new ArrayList<>();
    for (Map.Entry<String, String> e : b.vars().entrySet()) {
      String var = e.getKey();
      String before = a.vars().getOrDefault(var, "");
      String after = e.getValue();
      if (before.equals(after)) {
        continue;
      }
      Optional<Map<String, String>> fb = TlaValue.asFunction(before);
      Optional<Map<String, String>> fa = TlaValue.asFunction(after);
      if (fb.isPresent() && fa.isPresent() && fb.get().keySet().equals(fa.get().keySet())) {
        for (String k : fa.get().keySet()) {
          String x = fb.get().get(k);
          String y = fa.get().get(k);
          if (!x.equals(y)) {
            out.add(new Change(var, Optional.of(k), x, y));
          }
        }
      } else {
        out.add(new Change(var, Optional.empty(), before, after));
      }
    }
    return out;
  }

  private static String actor(String action, List<Change> changes) {
    Optional<String> vcpu = changes.stream()
        .filter(c -> VCPU_VARS.contains(c.variable()) && c.key().isPresent())
        .map(c -> c.key().get())
        .findFirst();
    // The model's action table says who acts; an action it does not know (Init) is drawn as the VMM's.
    return switch (Action.actorOf(action).orElse(Action.Actor.VMM)) {
      case VCPU -> vcpu.orElse("vcpu");
      case EXIT_HANDLER -> "vmm:exit(" + vcpu.orElse("?") + ")";
      case UFFD_READER -> "vmm:uffd-reader";
      case FETCH -> "vmm:fetch";
      case REMOTE -> "remote";
      case KERNEL -> "kvm";
      case VMM, NONE -> "vmm";
    };
  }
}
