package kvmuf.cli;

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
import picocli.CommandLine;

/**
 * {@code conform --concurrent}: checks its options, runs {@link ConcurrentConform} on this host (or the same
 * command inside a VM), prints one line per run as it finishes (progress "run i/N" on stderr), then counts, as
 * text or one JSON object. Kept out of {@link ConformCommand} so that the mode is one call there.
 */
final class ConcurrentConformCli {
  static final int DEFAULT_RUNS = 10;

  private final ConformCommand c;

  private ConcurrentConformCli(ConformCommand c) {
    this.c = c;
  }

  static int run(ConformCommand c) {
    return new ConcurrentConformCli(c).call();
  }

  private int call() {
    CommandLine.ParseResult parsed = c.spec.commandLine().getParseResult();
    for (String other : List.of("--in", "--rules", "--length", "--list", "--model-mutant", "--kernel-mutant")) {
      if (parsed.hasMatchedOption(other)) {
        throw KvmufException.usage("--concurrent runs seeded workloads of its own (--config, --traces N, --seed S); it does not take " + other);
      }
    }
    if (c.traces != null && c.traces < 1) throw KvmufException.usage("--traces must be at least 1");
    int runs = c.traces == null ? DEFAULT_RUNS : c.traces;
    Config config = TraceFiles.config(c.config == null ? "conform-upstream" : c.config, List.of());
    Optional<UapiProfile> uapi;
    try {
      uapi = Optional.ofNullable(c.profile).map(UapiProfile::byId);
    } catch (IllegalArgumentException e) {
      throw KvmufException.usage(e.getMessage());
    }
    if (c.target == null) throw KvmufException.usage("--target is required: host (this machine's /dev/kvm) or vm (a kernel under QEMU)");
    return switch (c.target) {
      case "host" -> host(config, runs, uapi);
      case "vm" -> {
        if (c.outDir != null) {
          throw KvmufException.usage("--out works with --target host only; with --target vm the guest runs the threads (--traces N --seed S)");
        }
        List<String> guest = new ArrayList<>(List.of("conform", "--target", "host"));
        guest.addAll(guestArgs(runs, c.seed, config.name()));
        if (c.profile != null) guest.addAll(List.of("--profile", c.profile));
        if (c.json) guest.add("--json");
        yield c.vm(guest);
      }
      default -> throw KvmufException.usage("unknown target '" + c.target + "'; valid: host, vm");
    };
  }

  /** What 'conform --target host' is given inside the VM (besides --profile and --json as given). */
  static List<String> guestArgs(int runs, long seed, String config) {
    return List.of("--concurrent", "--traces", String.valueOf(runs), "--seed", String.valueOf(seed), "--config", config);
  }

  private int host(Config config, int runs, Optional<UapiProfile> uapi) {
    KernelTraces.requireKvm("conform --target host --concurrent");
    Optional<Path> outDir = Optional.ofNullable(c.outDir);
    if (c.outDir != null) TraceFiles.createOutDir(c.outDir);
    String profile = uapi.orElseGet(HostConform::probedProfile).id();
    String kernel = KernelTraces.kernel();
    String source = "config " + config.name() + ", seed " + c.seed + ", " + runs + " runs";
    PrintWriter out = c.spec.commandLine().getOut();
    PrintWriter err = c.spec.commandLine().getErr();
    if (!c.json) {
      out.println(ConformReport.header("host", kernel, profile));
      out.println("concurrent: " + source + " (vCPU threads, a uffd handler thread and a VMM thread run freely; each log is checked"
          + " as 'kvmuf traces validate' checks it)");
      out.flush();
    }
    int[] done = {0};
    ConcurrentConform.Outcome o = new ConcurrentConform(config, c.seed, uapi, outDir, ConcurrentConform.DEFAULT_PATIENCE).run(runs, r -> {
      err.printf("conform --concurrent: run %d/%d%n", ++done[0], runs);
      err.flush();
      if (!c.json) {
        lines(r).forEach(out::println);
        out.flush();
      }
    });
    if (c.json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("target", "host");
      m.put("kernel", kernel);
      m.put("profile", profile);
      m.put("mode", "concurrent");
      m.put("source", source);
      m.putAll(json(o));
      out.println(Json.write(m));
    } else {
      out.println(summary(o));
    }
    out.flush();
    return o.count(Verdict.DIVERGENT) > 0 ? ExitCodes.VIOLATION : ExitCodes.OK;
  }

  /** A run's lines: pass, unsupported with the reason, or DIVERGENCE with the first unexplained step, expected and observed. */
  static List<String> lines(RunResult r) {
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
        r.file().ifPresent(f -> out.add("  log: " + f + " (re-check: kvmuf traces validate " + f + ")"));
      }
    }
    return out;
  }

  static Map<String, Object> json(ConcurrentConform.Outcome o) {
    Map<String, Object> m = new LinkedHashMap<>();
    Map<String, Object> counts = new LinkedHashMap<>();
    counts.put("runs", o.runs().size());
    counts.put("eventsLogged", o.events());
    counts.put("valid", o.count(Verdict.VALID));
    counts.put("divergent", o.count(Verdict.DIVERGENT));
    counts.put("unsupported", o.count(Verdict.UNSUPPORTED));
    counts.put("divergences", o.count(Verdict.DIVERGENT));
    m.put("counts", counts);
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

  static String summary(ConcurrentConform.Outcome o) {
    return String.format("runs: %d (%d valid, %d divergent, %d unsupported); events logged: %d; divergences: %d", o.runs().size(),
        o.count(Verdict.VALID), o.count(Verdict.DIVERGENT), o.count(Verdict.UNSUPPORTED), o.events(), o.count(Verdict.DIVERGENT));
  }
}
