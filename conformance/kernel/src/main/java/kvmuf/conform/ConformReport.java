package kvmuf.conform;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The results of a conform run, as text lines for people and as a JSON-ready map for machines. */
public record ConformReport(String target, String kernel, String profile, List<RuleResult> results) {

  public long count(RuleResult.Status s) {
    return results.stream().filter(r -> r.status() == s).count();
  }

  public long stepsRun() {
    return results.stream().mapToLong(RuleResult::kernelSteps).sum();
  }

  /** Steps the kernel answered "unsupported" (each ends its rule). */
  public long stepsUnsupported() {
    return results.stream()
        .flatMap(r -> r.steps().stream())
        .filter(s -> s.unsupported().isPresent())
        .count();
  }

  public boolean diverged() {
    return count(RuleResult.Status.DIVERGENCE) > 0;
  }

  public List<String> text() {
    List<String> out = new ArrayList<>();
    out.add(header(target, kernel, profile));
    for (RuleResult r : results) out.addAll(lines(r));
    out.add(summary());
    return out;
  }

  public static String header(String target, String kernel, String profile) {
    return "conform --target " + target + ": kernel " + kernel + ", UAPI profile " + profile;
  }

  /** One rule's lines: one for a pass or an unsupported rule; the divergent step and the whole trace for a divergence. */
  public static List<String> lines(RuleResult r) {
    List<String> out = new ArrayList<>();
    switch (r.status()) {
      case PASS -> out.add(String.format("  pass         %-34s (%d steps)", r.rule(), r.kernelSteps()));
      case UNSUPPORTED -> out.add(String.format("  unsupported  %-34s %s", r.rule(), r.reason().orElse("")));
      case DIVERGENCE -> {
        out.add(String.format("  DIVERGENCE   %-34s", r.rule()));
        r.reason().ifPresent(x -> out.add("      " + x));
        r.divergentStep().ifPresent(s -> {
          out.add("      at step " + s.index() + ": " + s.step());
          out.add("      expected (" + s.expected().orElseThrow().source().name().toLowerCase() + "): "
              + s.expected().orElseThrow().show());
          out.add("      observed: " + s.shownObserved());
        });
        for (StepRecord s : r.steps()) out.add("      " + line(s));
      }
    }
    return out;
  }

  public String summary() {
    return String.format("rules run %d, passed %d, diverged %d, unsupported %d; steps run %d (unsupported %d)",
        results.size(), count(RuleResult.Status.PASS), count(RuleResult.Status.DIVERGENCE), count(RuleResult.Status.UNSUPPORTED),
        stepsRun(), stepsUnsupported());
  }

  /** One step as a line: index, step, expectation and observation. */
  public static String line(StepRecord s) {
    String exp = s.expected().map(e -> e.show() + " [" + e.source().name().toLowerCase() + "]").orElse("-");
    if (s.modelOnly()) return s.index() + ". (model only) " + s.step() + " -> " + exp;
    String obs = s.shownObserved();
    return s.index() + ". " + s.step() + ": expected " + exp + ", observed " + obs + (s.matches() ? "" : "   <-- DIVERGENCE");
  }

  public Map<String, Object> json() {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("target", target);
    root.put("kernel", kernel);
    root.put("profile", profile);
    Map<String, Object> counts = new LinkedHashMap<>();
    counts.put("rulesRun", results.size());
    counts.put("passed", count(RuleResult.Status.PASS));
    counts.put("diverged", count(RuleResult.Status.DIVERGENCE));
    counts.put("unsupported", count(RuleResult.Status.UNSUPPORTED));
    counts.put("stepsRun", stepsRun());
    counts.put("stepsUnsupported", stepsUnsupported());
    root.put("counts", counts);
    List<Object> rules = new ArrayList<>();
    for (RuleResult r : results) {
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("rule", r.rule());
      j.put("result", r.status().name().toLowerCase());
      r.reason().ifPresent(x -> j.put("reason", x));
      j.put("steps", r.kernelSteps());
      r.divergentStep().ifPresent(s -> j.put("divergence", step(s)));
      j.put("trace", r.steps().stream().map(ConformReport::step).toList());
      rules.add(j);
    }
    root.put("rules", rules);
    return root;
  }

  private static Map<String, Object> step(StepRecord s) {
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("i", s.index());
    j.put("step", s.step());
    if (s.modelOnly()) j.put("modelOnly", true);
    s.expected().ifPresent(e -> {
      j.put("expected", e.show());
      j.put("source", e.source().name().toLowerCase());
    });
    if (s.observed().isPresent() || s.unsupported().isPresent()) j.put("observed", s.shownObserved());
    return j;
  }
}
