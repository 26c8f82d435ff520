package kvmuf.conform.run;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import kvmuf.conform.ConformReport;
import kvmuf.conform.concurrent.ConcurrentConform;
import kvmuf.conform.concurrent.ConcurrentConform.RunResult;
import kvmuf.conform.concurrent.ConcurrentConform.Verdict;
import kvmuf.kvm.UapiProfile;
import kvmuf.model.Config;
import kvmuf.trace.TraceCodec;
import kvmuf.trace.TraceStep;
import kvmuf.trace.Validator;

/**
 * {@code conform --target host --concurrent} on this machine's /dev/kvm (the caller checked it and made
 * {@code outDir}): {@link ConcurrentConform}'s runs, one line per run as it finishes (progress "run i/N" on
 * {@code err}), then counts, as text, or with {@code json} the one object the caller prints.
 */
public record ConcurrentConformRun(Config config, long seed, int runs, Optional<UapiProfile> uapi, Optional<Path> outDir,
    boolean json) {
  public HostConform.Outcome run(PrintWriter out, PrintWriter err) {
    String profile = uapi.orElseGet(HostConform::probedProfile).id();
    String kernel = KernelTraces.kernel();
    String source = "config " + config.name() + ", seed " + seed + ", " + runs + " runs";
    if (!json) {
      out.println(ConformReport.header("host", kernel, profile));
      out.println("concurrent: " + source + " (vCPU threads, a uffd handler thread and a VMM thread run freely; each log is checked"
          + " as 'kvmuf traces validate' checks it)");
      out.flush();
    }
    int[] done = {0};
    ConcurrentConform.Outcome o = new ConcurrentConform(config, seed, uapi, outDir, ConcurrentConform.DEFAULT_PATIENCE).run(runs, r -> {
      err.printf("conform --concurrent: run %d/%d%n", ++done[0], runs);
      err.flush();
      if (!json) {
        lines(r).forEach(out::println);
        out.flush();
      }
    });
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("target", "host");
      m.put("kernel", kernel);
      m.put("profile", profile);
      m.put("mode", "concurrent");
      m.put("source", source);
      m.putAll(json(o));
      return new HostConform.Outcome((int) o.count(Verdict.DIVERGENT), Optional.of(m));
    }
    out.println(summary(o));
    out.flush();
    return new HostConform.Outcome((int) o.count(Verdict.DIVERGENT), Optional.empty());
  }


  /** A run's lines: pass, unsupported with the reason, or DIVERGENCE with the first unexplained step, expected and observed. */
  public static List<String> lines(RunResult r) {
    List<String> out = new ArrayList<>();
    switch (r.verdict()) {
      case VALID -> out.add(String.format("%s: pass (%d events logged; %s)", r.name(), r.events(), r.workload().describe()));
      case UNSUPPORTED -> out.add(r.name() + ": unsupported: " + r.reason().orElse("?"));
      case DIVERGENT -> {
        Validator.Result v = r.validation().orElseThrow();
        if (!v.accepted()) {
          TraceStep s = r.log().orElseThrow().steps().get(v.firstUnexplained());
          out.add(String.format("%s: DIVERGENCE at step %d (line %d): %s is not explained by any behaviour of the model%s", r.name(),
              v.firstUnexplained(), v.firstUnexplainedLine(), TraceCodec.describe(s), v.boundHit() ? " (search bound hit: undecided)" : ""));
          out.add("  expected (model allows): " + (v.possibleAtFailure().isEmpty() ? "(the action cannot happen here)"
              : String.join(" ", v.possibleAtFailure().stream().map(TraceCodec::text).toList())));
          out.add("  observed:                " + v.loggedAtFailure().map(TraceCodec::text).orElse("-"));
          out.add("  longest explained prefix: " + v.explained() + " of " + r.events() + " steps");
        } else {
          out.add(String.format("%s: DIVERGENCE: %s", r.name(), r.reason().orElse("?")));
        }
        r.reason().filter(x -> !v.accepted()).ifPresent(x -> out.add("  also: " + x));
        out.add("  workload: " + r.workload().describe());
        r.file().ifPresent(f -> out.add("  log: " + f + " (re-check: kvmuf traces validate --in " + f + ")"));
      }
    }
    return out;
  }

  public static Map<String, Object> json(ConcurrentConform.Outcome o) {
    Map<String, Object> m = new LinkedHashMap<>();
    Map<String, Object> counts = new LinkedHashMap<>();
    counts.put("runs", o.runs().size());
    counts.put("eventsLogged", o.events());
    counts.put("valid", o.count(Verdict.VALID));
    counts.put("divergent", o.count(Verdict.DIVERGENT));
    counts.put("unsupported", o.count(Verdict.UNSUPPORTED));
    counts.put("divergences", o.count(Verdict.DIVERGENT));
    counts.put("userfaultExits", o.userfaultExits());
    m.put("counts", counts);
    m.put("actions", o.actions());
    List<Object> failures = new ArrayList<>();
    List<Object> unsupported = new ArrayList<>();
    for (RunResult r : o.runs()) {
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("run", r.name());
      if (r.verdict() == Verdict.UNSUPPORTED) {
        f.put("reason", r.reason().orElse(null));
        unsupported.add(f);
      } else if (r.verdict() == Verdict.DIVERGENT) {
        Validator.Result v = r.validation().orElseThrow();
        f.put("workload", r.workload().describe());
        f.put("events", r.events());
        f.put("explained_prefix", v.explained());
        if (!v.accepted()) {
          TraceStep s = r.log().orElseThrow().steps().get(v.firstUnexplained());
          f.put("step", v.firstUnexplained());
          f.put("line", v.firstUnexplainedLine());
          f.put("actor", s.actor());
          f.put("action", TraceCodec.describe(s));
          f.put("expected", v.possibleAtFailure().stream().map(TraceCodec::tree).toList());
          f.put("observed", v.loggedAtFailure().map(TraceCodec::tree).orElse(null));
          f.put("bound_hit", v.boundHit());
        }
        r.reason().ifPresent(x -> f.put("problem", x));
        r.file().ifPresent(x -> f.put("log", x.toString()));
        failures.add(f);
      }
    }
    m.put("failures", failures);
    m.put("unsupported", unsupported);
    return m;
  }

  /** The counts line, then (when anything was logged) the lines logged per action. */
  public static String summary(ConcurrentConform.Outcome o) {
    List<String> logged = new ArrayList<>();
    o.actions().forEach((a, n) -> {
      if (n > 0) logged.add(a + " " + n);
    });
    return String.format("runs: %d (%d valid, %d divergent, %d unsupported); events logged: %d (USERFAULT exits: %d); divergences: %d",
        o.runs().size(), o.count(Verdict.VALID), o.count(Verdict.DIVERGENT), o.count(Verdict.UNSUPPORTED), o.events(), o.userfaultExits(),
        o.count(Verdict.DIVERGENT)) + (logged.isEmpty() ? "" : "\nlogged per action: " + String.join(", ", logged));
  }
}
