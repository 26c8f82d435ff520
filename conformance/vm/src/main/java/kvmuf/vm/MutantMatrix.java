package kvmuf.vm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code conform --target vm --kernel reference --kernel-mutant ID|ALL}: boots the reference kernel once per
 * seeded bug and runs the same conform (rules and traces) inside. A mutant is killed when conform reports a
 * divergence (its first one is quoted: rule or trace, step, expected, observed), survived when everything
 * matched, and an error when the guest run failed otherwise (then the matrix fails too: a mutant that was not
 * tested is not counted as killed). The caller prints the JSON object and picks the exit code.
 */
public record MutantMatrix(List<KernelMutant> mutants, List<String> guestArgs, Duration timeout, boolean json) {
  /**
   * The UAPI profile our reference kernel documents (kernel-reference/README.md: the bitmap pointer validated at
   * KVM_SET_USER_MEMORY_REGION2). The guest conform is told it unless the user named one: probing by behaviour
   * would describe a mutant's broken UAPI as another profile (NoPointerValidation probes as uf-v1) and check it
   * against that.
   */
  public static final String DOCUMENTED_PROFILE = "uf-v3";

  /** The exit codes of the kit's {@code conform} in the guest (cli's ExitCodes): 0 all matched, 1 a divergence. */
  static final int GUEST_OK = 0, GUEST_DIVERGENCE = 1;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  public enum Result { KILLED, SURVIVED, ERROR }

  /** Every mutant killed or not; with {@code json} the one object the caller prints. */
  public record Outcome(boolean allKilled, Optional<Map<String, Object>> json) {}

  public record Verdict(KernelMutant mutant, Result result, Optional<Map<String, Object>> firstDivergence, String detail) {}

  public Outcome run(PrintWriter out, PrintWriter err) {
    List<Verdict> verdicts = new ArrayList<>();
    int i = 0;
    for (KernelMutant m : mutants) {
      i++;
      err.printf("kvmuf: kernel mutant %d/%d: %s (%s)%n", i, mutants.size(), m.name(), m.bug);
      err.flush();
      Verdict v = one(m, err);
      verdicts.add(v);
      if (!json) {
        out.println(line(v));
        out.flush();
      }
    }
    long killed = count(verdicts, Result.KILLED);
    if (json) {
      Map<String, Object> root = new LinkedHashMap<>();
      root.put("kernel", ReferenceKernel.NAME);
      root.put("mutants", verdicts.stream().map(MutantMatrix::json).toList());
      root.put("killed", killed);
      root.put("survived", count(verdicts, Result.SURVIVED));
      root.put("errors", count(verdicts, Result.ERROR));
      return new Outcome(killed == verdicts.size(), Optional.of(root));
    } else {
      out.printf("kernel mutants: %d, killed %d, survived or not tested %d%n", verdicts.size(), killed, verdicts.size() - killed);
    }
    out.flush();
    return new Outcome(killed == verdicts.size(), Optional.empty());
  }

  private static long count(List<Verdict> verdicts, Result r) {
    return verdicts.stream().filter(v -> v.result() == r).count();
  }

  private Verdict one(KernelMutant m, PrintWriter err) {
    StringBuilder stdout = new StringBuilder();
    VmSession session = new VmSession(ReferenceKernel.NAME, null, Optional.of(m), timeout, Progress.stderr(false));
    VmRunner.Report r;
    try {
      r = session.run(VmSession.kitCommand(withDocumentedProfile(guestArgs)), List.of(), o -> {
        if (o.stderr()) {
          err.println(o.text());
          err.flush();
        } else {
          stdout.append(o.text()).append('\n');
        }
      });
    } catch (VmException e) {
      return new Verdict(m, Result.ERROR, Optional.empty(), e.getMessage());
    }
    JsonNode j;
    try {
      j = MAPPER.readTree(stdout.toString());
    } catch (java.io.IOException e) {
      return new Verdict(m, Result.ERROR, Optional.empty(), "guest conform exited " + r.exitCode() + " without a JSON report");
    }
    if (!j.path("kernelMutant").asText("").equals(m.name())) {
      return new Verdict(m, Result.ERROR, Optional.empty(), "the guest kernel reports mutant '" + j.path("kernelMutant").asText("(none)")
          + "', not " + m.name() + ": is this our reference kernel?");
    }
    Optional<Map<String, Object>> first = firstDivergence(j);
    if (r.exitCode() == GUEST_DIVERGENCE && first.isPresent()) {
      return new Verdict(m, Result.KILLED, first, String.format("diverged: %d of %d rules, %d of %d traces",
          j.path("counts").path("diverged").asInt(), j.path("counts").path("rulesRun").asInt(),
          j.path("traces").path("counts").path("diverged").asInt(), j.path("traces").path("counts").path("traces").asInt()));
    }
    if (r.exitCode() == GUEST_OK) {
      return new Verdict(m, Result.SURVIVED, Optional.empty(), "no divergence in " + j.path("counts").path("rulesRun").asInt() + " rules and "
          + j.path("traces").path("counts").path("traces").asInt() + " traces");
    }
    return new Verdict(m, Result.ERROR, Optional.empty(), "guest conform exited " + r.exitCode());
  }

  /** {@code args} with {@code --profile uf-v3} unless they name a profile. */
  static List<String> withDocumentedProfile(List<String> args) {
    if (args.contains("--profile")) return args;
    List<String> out = new ArrayList<>(args);
    out.addAll(List.of("--profile", DOCUMENTED_PROFILE));
    return out;
  }

  /** The first divergent rule (its divergent step), else the first divergent trace. */
  public static Optional<Map<String, Object>> firstDivergence(JsonNode j) {
    for (JsonNode rule : j.path("rules")) {
      if (rule.path("result").asText().equals("divergence")) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("rule", rule.path("rule").asText());
        JsonNode s = rule.path("divergence");
        d.put("step", s.path("i").asInt());
        d.put("action", s.path("step").asText());
        d.put("expected", s.path("expected").asText());
        d.put("observed", s.path("observed").asText());
        return Optional.of(d);
      }
    }
    for (JsonNode f : j.path("traces").path("failures")) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("trace", f.path("trace").asText());
      d.put("step", f.path("step").asInt());
      d.put("action", f.path("action").asText());
      d.put("expected", f.path("expected").toString());
      d.put("observed", f.path("observed").toString());
      return Optional.of(d);
    }
    return Optional.empty();
  }

  public static String line(Verdict v) {
    return switch (v.result()) {
      case KILLED -> {
        Map<String, Object> d = v.firstDivergence().orElseThrow();
        String where = d.containsKey("rule") ? "rule " + d.get("rule") : "trace " + d.get("trace");
        yield String.format("  killed    %-20s %s, step %s %s: expected %s, observed %s (%s)", v.mutant().name(), where, d.get("step"),
            d.get("action"), d.get("expected"), d.get("observed"), v.detail());
      }
      case SURVIVED -> String.format("  SURVIVED  %-20s %s", v.mutant().name(), v.detail());
      case ERROR -> String.format("  ERROR     %-20s %s", v.mutant().name(), v.detail());
    };
  }

  private static Map<String, Object> json(Verdict v) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("mutant", v.mutant().name());
    m.put("bug", v.mutant().bug);
    m.put("result", v.result().name().toLowerCase(java.util.Locale.ROOT));
    v.firstDivergence().ifPresent(d -> m.put("firstDivergence", d));
    if (!v.detail().isEmpty()) m.put("detail", v.detail());
    return m;
  }
}
