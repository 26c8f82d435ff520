package kvmuf.conform.run;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import kvmuf.conform.ConformReport;
import kvmuf.conform.Rule;
import kvmuf.conform.RuleContext;
import kvmuf.conform.RuleResult;
import kvmuf.conform.RuleRunner;
import kvmuf.conform.StepRate;
import kvmuf.kvm.Kvm;
import kvmuf.kvm.UapiProfile;
import kvmuf.kvm.UserfaultEvidence;
import kvmuf.model.MutantId;

/**
 * One {@code conform --target host} run on this machine's kernel: the named rules, then the traces, one
 * report. Text goes out as each rule and trace ends (an emulated kernel is slow); with {@code --json} the
 * per-trace lines go to stderr as progress and stdout gets one JSON object at the end.
 *
 * @param modelMutant a model mutant the rules' oracle and the traces' generator use: a deliberately changed
 *     model rule, to show that conform reports the divergence it causes
 */
public record HostConform(List<Rule> rules, List<KernelTraces.Named> traces, String traceSource, Optional<UapiProfile> profile,
    Optional<MutantId> modelMutant, Path outDir, boolean json) {
  /** Where our reference kernel names the seeded bug it runs with (its module parameter {@code kvm.userfault_mutant}). */
  public static final String KERNEL_MUTANT_PARAMETER = "/sys/module/kvm/parameters/userfault_mutant";

  /**
   * What a run found: the divergences of rules and traces together, and with {@code --json} the one object
   * the caller prints (empty with text, which went out as the run went).
   */
  public record Outcome(int divergences, Optional<Map<String, Object>> json) {}

  /**
   * Runs the rules, then the traces, on this machine's /dev/kvm (the caller checked it is there and made
   * {@code outDir}); text goes to {@code out} as it comes, with {@code json} progress to {@code err}.
   */
  public Outcome run(PrintWriter out, PrintWriter err) {
    StepRate.Stopwatch clock = StepRate.start();
    UapiProfile p = profile.orElseGet(HostConform::probedProfile);
    String kernel = KernelTraces.kernel();
    Optional<String> kernelMutant = kernelMutant();
    RuleContext context = RuleContext.standard(profile);
    if (modelMutant.isPresent()) context = context.withModel(c -> c.withMutants(java.util.EnumSet.of(modelMutant.get())));
    if (!json) {
      out.println(ConformReport.header("host", kernel, p.id()));
      kernelMutant.ifPresent(m -> out.println("kernel mutant: " + m));
      modelMutant.ifPresent(m -> out.println("model mutant: " + m + " (the model is changed on purpose: divergences are expected)"));
      out.flush();
    }
    // Per-rule and per-trace lines as they come: the report itself with text, progress on stderr with --json.
    PrintWriter progress = json ? err : out;
    List<RuleResult> results = new ArrayList<>();
    for (Rule r : rules) {
      RuleResult result = RuleRunner.run(r, context);
      results.add(result);
      ConformReport.lines(result).forEach(progress::println);
      progress.flush();
    }
    ConformReport report = new ConformReport("host", kernel, p.id(), results);
    KernelTraces.Outcome o = null;
    if (!traces.isEmpty()) {
      progress.println("traces: " + traceSource);
      // conform tests the kernel as far as the traces reach: a trace whose kernel took another allowed branch goes on along it.
      o = KernelTraces.run(traces, profile, outDir, progress, true);
    }
    int divergences = (int) report.count(RuleResult.Status.DIVERGENCE) + (o == null ? 0 : o.diverged());
    StepRate rate = clock.stop(results.stream().mapToLong(RuleResult::kernelSteps).sum() + (o == null ? 0 : o.stepsRun()));
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>(report.json());
      kernelMutant.ifPresent(k -> m.put("kernelMutant", k));
      modelMutant.ifPresent(k -> m.put("modelMutant", k.name()));
      if (o != null) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("source", traceSource);
        t.putAll(KernelTraces.json(o));
        m.put("traces", t);
      }
      m.put("userfault", userfaultJson());
      m.put("divergences", divergences);
      m.put("rate", rate.json());
      return new Outcome(divergences, Optional.of(m));
    } else {
      if (!rules.isEmpty()) out.println(report.summary());
      if (o != null) {
        out.println(KernelTraces.actionsLine(o));
        out.println(KernelTraces.summary(o));
      }
      out.println("divergences: " + divergences);
      out.println(rate.line());
    }
    out.flush();
    return new Outcome(divergences, Optional.empty());
  }

  /** What this kernel showed about KVM Userfault (with --userfault-cap's number), as probe --json names it. */
  static Map<String, Object> userfaultJson() {
    UserfaultEvidence e = UserfaultEvidence.ofThisKernel();
    Map<String, Object> u = new LinkedHashMap<>();
    u.put("detectedProfile", e.profile().id());
    u.put("offered", e.flagAccepted());
    u.put("capability", e.capability().isPresent() ? e.capability().getAsInt() : null);
    u.put("capabilitySource", e.capabilitySource());
    u.put("evidence", e.describe());
    return u;
  }

  /** The KVM Userfault UAPI profile of this machine's /dev/kvm. */
  public static UapiProfile probedProfile() {
    try (Kvm kvm = Kvm.open()) {
      return UapiProfile.detect(kvm);
    }
  }

  /** The seeded bug our reference kernel runs with (its module parameter), when this kernel is ours. */
  public static Optional<String> kernelMutant() {
    try {
      Path f = Path.of(KERNEL_MUTANT_PARAMETER);
      return Files.isReadable(f) ? Optional.of(Files.readString(f).strip()) : Optional.empty();
    } catch (java.io.IOException e) {
      return Optional.empty();
    }
  }
}
