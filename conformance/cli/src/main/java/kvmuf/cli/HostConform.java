package kvmuf.cli;

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
import kvmuf.kvm.Kvm;
import kvmuf.kvm.UapiProfile;
import kvmuf.model.MutantId;
import kvmuf.vm.KernelMutant;

/**
 * One {@code conform --target host} run on this machine's kernel: the named rules, then the traces, one
 * report. Text goes out as each rule and trace ends (an emulated kernel is slow); with {@code --json} the
 * per-trace lines go to stderr as progress and stdout gets one JSON object at the end.
 *
 * @param modelMutant a model mutant the rules' oracle and the traces' generator use: a deliberately changed
 *     model rule, to show that conform reports the divergence it causes
 */
record HostConform(List<Rule> rules, List<KernelTraces.Named> traces, String traceSource, Optional<UapiProfile> profile,
    Optional<MutantId> modelMutant, Path outDir, boolean json) {

  int run(PrintWriter out, PrintWriter err) {
    KernelTraces.requireKvm("conform --target host");
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
      o = KernelTraces.run(traces, profile, outDir, progress);
    }
    int divergences = (int) report.count(RuleResult.Status.DIVERGENCE) + (o == null ? 0 : o.diverged());
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
      m.put("divergences", divergences);
      out.println(Json.write(m));
    } else {
      if (!rules.isEmpty()) out.println(report.summary());
      if (o != null) out.println(KernelTraces.summary(o));
      out.println("divergences: " + divergences);
    }
    out.flush();
    return divergences > 0 ? ExitCodes.VIOLATION : ExitCodes.OK;
  }

  static UapiProfile probedProfile() {
    try (Kvm kvm = Kvm.open()) {
      return UapiProfile.detect(kvm);
    }
  }

  /** The seeded bug our reference kernel runs with (its module parameter), when this kernel is ours. */
  static Optional<String> kernelMutant() {
    try {
      Path f = Path.of(KernelMutant.PARAMETER_FILE);
      return Files.isReadable(f) ? Optional.of(Files.readString(f).strip()) : Optional.empty();
    } catch (java.io.IOException e) {
      return Optional.empty();
    }
  }
}
