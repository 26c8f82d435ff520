package kvmuf.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import kvmuf.check.CheckResult;
import kvmuf.check.Timeline;
import kvmuf.spec.ExpectedVerdict;
import kvmuf.spec.MutantCatalogue;

/** How a check result is shown: a readable block with a timeline, or one JSON object. */
final class CheckReport {
  private CheckReport() {}

  static Map<String, Object> json(CheckResult r, Optional<ExpectedVerdict> expected) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("engine", r.engine());
    m.put("config", r.config());
    m.put("mutant", r.mutant().orElse(null));
    m.put("workers", r.workers());
    m.put("result", r.verdict().json());
    m.put("property", r.property().orElse(null));
    m.put("distinctStates", r.distinctStates());
    m.put("statesGenerated", r.statesGenerated());
    m.put("depth", r.depth());
    m.put("seconds", Math.round(r.seconds() * 1000) / 1000.0);
    if (r.mutant().isEmpty()) {
      m.put("recorded", expected.isPresent());
      expected.ifPresent(e -> {
        Map<String, Object> x = new LinkedHashMap<>();
        x.put("result", e.verdict());
        x.put("property", e.property().orElse(null));
        x.put("distinctStates", e.distinctStates() == 0 ? null : e.distinctStates());
        x.put("matches", matches(r, e));
        m.put("expected", x);
      });
    }
    List<Object> steps = new ArrayList<>();
    for (Timeline.Row s : Timeline.of(r.trace())) {
      Map<String, Object> step = new LinkedHashMap<>();
      step.put("step", s.index());
      step.put("actor", s.actor());
      step.put("action", s.action());
      Map<String, Object> changes = new LinkedHashMap<>();
      for (Timeline.Change c : s.changes()) {
        changes.put(c.variable() + c.key().map(k -> "[" + k + "]").orElse(""), c.after());
      }
      step.put("changes", changes);
      steps.add(step);
    }
    m.put("counterexample", steps);
    m.put("error", r.error().orElse(null));
    r.mutant().flatMap(id -> MutantCatalogue.load().find(id)).ifPresent(cat -> {
      m.put("cataloguedConfig", cat.config());
      m.put("cataloguedProperty", cat.property());
    });
    return m;
  }

  /** Whether a run of a shipped config (no mutant) gave its recorded verdict and count. */
  static boolean matches(CheckResult r, ExpectedVerdict e) {
    boolean verdict = r.verdict().json().equals(e.verdict()) && r.property().equals(e.property());
    boolean count = e.distinctStates() == 0 || e.distinctStates() == r.distinctStates();
    return verdict && count;
  }

  static List<String> text(CheckResult r, Optional<ExpectedVerdict> expected) {
    List<String> out = new ArrayList<>();
    out.add(String.format("engine %s, config %s, mutant %s, %d worker(s)",
        r.engine(), r.config(), r.mutant().orElse("none"), r.workers()));
    String result = switch (r.verdict()) {
      case OK -> "ok: no invariant violated, no deadlock";
      case VIOLATION -> "VIOLATION of " + r.property().orElse("?");
      case ERROR -> "ERROR: " + r.error().orElse("?");
    };
    out.add("  result           " + result);
    out.add("  distinct states  " + r.distinctStates()
        + expected.filter(e -> r.mutant().isEmpty() && e.distinctStates() > 0)
            .map(e -> e.distinctStates() == r.distinctStates() ? " (as recorded)" : " (recorded: " + e.distinctStates() + ": the state space changed)")
            .orElse(r.mutant().isEmpty() && expected.isEmpty() ? " (no recorded count)" : ""));
    out.add("  states generated " + r.statesGenerated());
    out.add("  depth            " + r.depth());
    out.add(String.format(Locale.ROOT, "  seconds          %.2f", r.seconds()));
    if (r.mutant().isEmpty()) {
      expected.filter(ExpectedVerdict::expectsViolation).ifPresent(e -> out.add(
          "  expected         violation of " + e.property().orElse("?") + " (" + e.note() + ")"));
    }
    r.mutant().flatMap(id -> MutantCatalogue.load().find(id))
        .filter(cat -> !cat.config().equals(r.config()))
        .ifPresent(cat -> out.add("  note             " + cat.id() + " is catalogued on config " + cat.config()
            + " (must fail " + cat.property() + " there); config " + r.config()
            + " may lack what the bug needs, so it can survive here"));
    if (!r.trace().isEmpty()) {
      out.add("");
      out.add("counterexample (" + r.trace().size() + " states; actor, action, what changed):");
      out.addAll(Timeline.lines(r.trace()));
    }
    return out;
  }
}
