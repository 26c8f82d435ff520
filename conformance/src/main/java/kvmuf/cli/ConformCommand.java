package kvmuf.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import kvmuf.conform.ConformReport;
import kvmuf.conform.Rule;
import kvmuf.conform.RuleContext;
import kvmuf.conform.RuleResult;
import kvmuf.conform.RuleRunner;
import kvmuf.conform.Rules;
import kvmuf.kvm.Kvm;
import kvmuf.kvm.UapiProfile;
import kvmuf.spec.UnknownNameException;
import kvmuf.sys.Libc;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kvmuf conform}: does a real kernel do what the model says? */
@Command(
    name = "conform",
    mixinStandardHelpOptions = true,
    description = {
      "Check a real kernel against the model: each named rule drives KVM, userfaultfd, memslot flag",
      "updates, madvise and guest accesses (a tiny guest agent on real vCPUs) through FFM, and compares",
      "every observation (exit and memory_fault fields, ioctl result and errno, uffd message, value a",
      "guest read saw, KVM stats page counts) with what the Java model's transitions say (or, where the",
      "model is silent, what the KVM UAPI documents).",
      "",
      "Each rule ends as: pass; DIVERGENCE, naming the step with expected and observed; or unsupported,",
      "with the reason (a missing capability is never a pass). KVM Userfault rules run only on a kernel",
      "with KVM_CAP_USERFAULT; elsewhere they are unsupported.",
      "",
      "Targets: host (this machine's /dev/kvm); vm (a kernel booted under QEMU by 'kvmuf vm', which",
      "runs 'conform --target host' inside the guest).",
      "",
      "Examples:",
      "  kvmuf conform --target host",
      "  kvmuf conform --target host --rules uffd-missing-copy,dontneed-refaults --json",
      "  kvmuf conform --list",
      "",
      "Exit codes: 0 no divergence, 1 divergence, 2 usage error, 3 environment missing (no /dev/kvm,",
      "no VM runner)."
    },
    footer = {
      "",
      "Traces (instead of the named rules): --traces N generates N traces of config NAME (default",
      "conform-upstream: what an upstream kernel can run) with seed S, --in DIR reads *.ndjson traces;",
      "each is replayed step by step on a fresh VM. A trace stops at its first step the kernel cannot",
      "run (counted as unsupported, never passed). --out DIR writes each trace and its observed run",
      "(NAME.observed.ndjson; pages_4k/pages_2m -1: mapping counts not observed).",
      "  kvmuf conform --target host --traces 100 --seed 1 --json",
      "",
      "Concurrent (--concurrent): N runs (--traces N, default 10) of a seeded workload of config NAME: vCPU",
      "threads reading the model's gfns, a uffd handler thread (UFFDIO_COPY, or COPY with DONTWAKE then",
      "UFFDIO_WAKE; EEXIST then WAKE), a VMM thread toggling dirty logging, all running freely. Every call",
      "goes into one log in an order consistent with causality, checked as 'kvmuf traces validate' checks",
      "it; --out DIR writes each as NAME.concurrent.ndjson, which 'kvmuf traces validate' re-checks.",
      "  kvmuf conform --target host --concurrent --traces 50 --seed 1 --out logs/"
    })
public final class ConformCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--target", paramLabel = "host|vm", description = "Where the kernel is: host (this machine's /dev/kvm) or vm (under QEMU).")
  String target;

  @Option(names = "--profile", paramLabel = "P",
      description = "KVM Userfault UAPI to speak: upstream, uf-v1, uf-v2, uf-v3 (default: probed from the kernel).")
  String profile;

  @Option(names = "--rules", paramLabel = "all|NAME,...", defaultValue = "all",
      description = "Which rules to run (default: ${DEFAULT-VALUE}); see --list.")
  String rules;

  @Option(names = "--list", description = "List the rules and what each checks, then exit.")
  boolean list;

  @Option(names = "--json", description = "Print one JSON object instead of text.")
  boolean json;

  @Option(names = "--traces", paramLabel = "N", description = "Replay N model-generated traces instead of the named rules.")
  Integer traces;

  @Option(names = "--in", paramLabel = "DIR|FILE", description = "Replay these *.ndjson traces instead of the named rules (host only).")
  java.nio.file.Path in;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Seed of the generated traces (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--config", paramLabel = "NAME", defaultValue = "conform-upstream",
      description = "Model config of the generated traces (default: ${DEFAULT-VALUE}).")
  String config;

  @Option(names = "--length", paramLabel = "L", defaultValue = "50", description = "Most steps per generated trace (default: ${DEFAULT-VALUE}).")
  int length;

  @Option(names = "--out", paramLabel = "DIR", description = "Write each trace and its observed run (NDJSON) here (host only).")
  java.nio.file.Path outDir;

  @Option(names = "--concurrent", description = "Free-running vCPU, uffd and VMM threads; each run's log is validated against the model (see below).")
  boolean concurrent;

  private PrintWriter out() {
    return spec.commandLine().getOut();
  }

  @Override
  public Integer call() {
    if (concurrent) return ConcurrentConformCli.run(this);
    boolean traceMode = traces != null || in != null;
    if (traces != null && in != null) throw KvmufException.usage("--traces and --in exclude each other");
    if (traces != null && traces < 1) throw KvmufException.usage("--traces must be at least 1");
    if (length < 1) throw KvmufException.usage("--length must be at least 1");
    List<Rule> selected;
    try {
      selected = Rules.select(rules);
    } catch (UnknownNameException e) {
      throw KvmufException.usage(e.getMessage());
    }
    Optional<UapiProfile> uapi;
    try {
      uapi = Optional.ofNullable(profile).map(UapiProfile::byId);
    } catch (IllegalArgumentException e) {
      throw KvmufException.usage(e.getMessage());
    }
    if (list) {
      for (Rule r : Rules.all()) out().printf("%-32s %s%n", r.name(), r.summary());
      out().flush();
      return ExitCodes.OK;
    }
    if (target == null) throw KvmufException.usage("--target is required: host (this machine's /dev/kvm) or vm (a kernel under QEMU)");
    if (traceMode) {
      return switch (target) {
        case "host" -> hostTraces(uapi);
        case "vm" -> {
          if (in != null || outDir != null) {
            throw KvmufException.usage("--in and --out work with --target host only; with --target vm the guest generates the traces (--traces N --seed S)");
          }
          yield vm(List.of("--traces", String.valueOf(traces), "--seed", String.valueOf(seed), "--config", config, "--length", String.valueOf(length)));
        }
        default -> throw KvmufException.usage("unknown target '" + target + "'; valid: host, vm");
      };
    }
    return switch (target) {
      case "host" -> host(selected, uapi);
      case "vm" -> vm(List.of("--rules", rules));
      default -> throw KvmufException.usage("unknown target '" + target + "'; valid: host, vm");
    };
  }

  private int host(List<Rule> selected, Optional<UapiProfile> uapi) {
    String noKvm = Kvm.unavailableReason();
    if (noKvm != null) throw KvmufException.environment(noKvm.replaceFirst("^unsupported: ", "") + ": conform --target host needs KVM; try --target vm");
    UapiProfile p = uapi.orElseGet(ConformCommand::probedProfile);
    RuleContext context = RuleContext.standard(uapi);
    String[] u = Libc.uname();
    String kernel = u[2] + " (" + u[4] + ")";
    if (!json) {
      out().println(ConformReport.header("host", kernel, p.id()));
      out().flush();
    }
    List<RuleResult> results = new ArrayList<>();
    for (Rule r : selected) {
      RuleResult result = RuleRunner.run(r, context);
      results.add(result);
      if (!json) {
        // Each rule's result as soon as it is known: a run on an emulated kernel takes a while.
        ConformReport.lines(result).forEach(out()::println);
        out().flush();
      }
    }
    ConformReport report = new ConformReport("host", kernel, p.id(), results);
    if (json) out().println(Json.write(report.json()));
    else out().println(report.summary());
    out().flush();
    return report.diverged() ? ExitCodes.VIOLATION : ExitCodes.OK;
  }

  private static UapiProfile probedProfile() {
    try (Kvm kvm = Kvm.open()) {
      return UapiProfile.detect(kvm::checkExtension, System.getProperty("os.arch"));
    }
  }

  /** Runs 'conform --target host' inside a VM through the VM runner ('kvmuf vm run'), when this build has it. */
  private int hostTraces(Optional<UapiProfile> uapi) {
    List<KernelTraces.Named> named = new ArrayList<>();
    String source;
    if (in != null) {
      for (java.nio.file.Path f : TraceFiles.list(in)) {
        named.add(new KernelTraces.Named(f.getFileName().toString().replaceFirst("\\.ndjson$", ""), TraceFiles.read(f)));
      }
      source = in.toString();
    } else {
      kvmuf.model.Config c = TraceFiles.config(config, List.of());
      kvmuf.trace.Generator g = new kvmuf.trace.Generator(c, kvmuf.trace.Generator.Strategy.RANDOM, seed,
          kvmuf.trace.Generator.defaultProfile(c), length);
      for (int k = 0; k < traces; k++) named.add(new KernelTraces.Named(String.format("trace-%06d", k), g.generate(k)));
      source = "generated: config " + c.name() + ", seed " + seed + ", length " + length;
    }
    KernelTraces.requireKvm("conform --target host");
    UapiProfile p = uapi.orElseGet(ConformCommand::probedProfile);
    String kernel = KernelTraces.kernel();
    if (!json) {
      out().println(ConformReport.header("host", kernel, p.id()));
      out().println("traces: " + source);
      out().flush();
    }
    KernelTraces.Outcome o = KernelTraces.run(named, uapi, outDir, json ? null : out());
    if (json) {
      java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
      m.put("target", "host");
      m.put("kernel", kernel);
      m.put("profile", p.id());
      m.put("source", source);
      m.putAll(KernelTraces.json(o));
      out().println(Json.write(m));
    } else {
      out().println(KernelTraces.summary(o));
    }
    out().flush();
    return o.diverged() > 0 ? ExitCodes.VIOLATION : ExitCodes.OK;
  }

  int vm(List<String> what) {
    CommandLine root = Kvmuf.commandLine();
    if (!root.getSubcommands().containsKey("vm")) {
      throw KvmufException.environment("the VM runner is not available in this build");
    }
    root.setOut(spec.commandLine().getOut());
    root.setErr(spec.commandLine().getErr());
    List<String> args = new ArrayList<>(List.of("vm", "run", "--", "conform", "--target", "host"));
    args.addAll(what);
    if (profile != null) args.addAll(List.of("--profile", profile));
    if (json) args.add("--json");
    return root.execute(args.toArray(String[]::new));
  }
}
