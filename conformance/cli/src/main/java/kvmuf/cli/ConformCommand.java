package kvmuf.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import kvmuf.conform.Rule;
import kvmuf.conform.Rules;
import kvmuf.conform.run.HostConform;
import kvmuf.conform.run.KernelTraces;
import kvmuf.kvm.UapiProfile;
import kvmuf.kvm.UserfaultEvidence;
import kvmuf.model.Config;
import kvmuf.model.MutantId;
import kvmuf.spec.UnknownNameException;
import kvmuf.trace.Generator;
import kvmuf.vm.KernelMutant;
import kvmuf.vm.MutantMatrix;
import kvmuf.vm.ReferenceKernel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kvmuf conform}: does a real kernel do what the model says? */
@Command(
    name = "conform",
    mixinStandardHelpOptions = true,
    description = {
      "Check a real kernel against the model. One run does two things:",
      "- the named rules: each drives KVM, userfaultfd, memslot flag updates, madvise and guest accesses",
      "  (a tiny guest agent on real vCPUs) through FFM and compares every observation (exit and",
      "  memory_fault fields, ioctl result and errno, uffd message, value a guest read saw, KVM stats page",
      "  counts, kernel WARNs) with what the Java model's transitions say (or, where the model is silent,",
      "  what the KVM UAPI documents);",
      "- model-generated traces (--traces N, default 100, of config --config), each replayed step by step",
      "  on a fresh VM, every observation checked against the model's allowed set.",
      "",
      "Each rule and trace ends as: pass; DIVERGENCE, naming the step with expected and observed; or",
      "unsupported, with the reason (a missing capability is never a pass). KVM Userfault rules and steps",
      "run only on a kernel with KVM_CAP_USERFAULT (e.g. --kernel reference); elsewhere they are unsupported.",
      "",
      "Targets: host (this machine's /dev/kvm); vm (a kernel booted under QEMU by 'kvmuf vm', which",
      "runs 'conform --target host' inside the guest).",
      "",
      "Examples:",
      "  kvmuf conform --target vm --json                       # rules + 100 traces on Debian 6.12",
      "  kvmuf conform --target vm --kernel reference --json    # our KVM Userfault kernel",
      "  kvmuf conform --target vm --kernel reference --kernel-mutant ALL --json",
      "  kvmuf conform --target host --rules uffd-missing-copy,dontneed-refaults --traces 0",
      "  kvmuf conform --target host --rules none --traces 20 --out /tmp/runs",
      "  kvmuf conform --target vm --model-mutant NoWakeOnEexist   # a changed model rule: divergences",
      "  kvmuf conform --list",
      "",
      "Exit codes: 0 no divergence (with --kernel-mutant: every mutant killed), 1 divergence (a mutant",
      "survived), 2 usage error, 3 environment missing (no /dev/kvm, no VM runner, kernel build failed)."
    },
    footer = {
      "",
      "Traces: --traces N generates N traces of config NAME with seed S. Default: on a kernel with",
      "KVM_CAP_USERFAULT, every shipped config recorded ok that this kernel can set up (anon and, where",
      "guest_memfd has MMAP and INIT_SHARED, guest_memfd; one to three vCPUs; invalidations, KVM's own",
      "reads, the background fetch, writes); else conform-upstream, conform-kvm-access (KVM's own reads: string",
      "I/O KVM emulates) and conform-writes (guest writes under dirty logging), what an upstream kernel runs whole. N is shared between them",
      "(CONFIG-trace-NNNNNN after the first config's trace-NNNNNN). With the default configs, one more",
      "trace per catalogued model mutant on one of them (mutant-ID): a shortest trace at whose last step",
      "every behaviour of the mutant, as a kernel reports it, is outside what the correct model allows (a",
      "kernel with that bug diverges there), found by a search of both models; and per slot kind and memslot",
      "update (USERFAULT or dirty logging on or off, MOVE) the shortest trace that makes the update as early",
      "as the protocol allows, then touches every gfn (after-UPDATE-CONFIG). --config A,B or all (every config",
      "recorded ok) names them yourself; a config recorded as a violation is named on its own.",
      "--in DIR reads *.ndjson traces instead. A trace stops at its first step the kernel cannot run",
      "(counted as unsupported, never passed). --out DIR writes each trace and its observed run",
      "(NAME.observed.ndjson; pages_4k/pages_2m -1: mapping counts not observed).",
      "",
      "Kernel mutants (--kernel reference only): our reference kernel carries seeded bugs switched on at boot;",
      "--kernel-mutant ID|ALL boots it once per mutant, runs the same rules and traces, and reports each",
      "mutant killed (its first divergence) or survived.",
      "",
      "Concurrent (--concurrent): N runs (--traces N, default 10) of a seeded workload of config NAME: vCPU",
      "threads reading the model's gfns (guest reads, and KVM's own where the config has them), each its own",
      "exit handler for USERFAULT exits (Install, ClearBit, ResumeVcpu, the read again), a uffd handler",
      "thread (UFFDIO_COPY, or COPY with DONTWAKE then UFFDIO_WAKE; EEXIST then WAKE), a VMM thread marking",
      "gfns and toggling USERFAULT and dirty logging, a background fetch thread where the config has one",
      "(anonymous memory or guest_memfd), all running freely. Default config: conform-userfault-2vcpu",
      "on a kernel with KVM_CAP_USERFAULT, else conform-upstream. Every call goes into one log in an order",
      "consistent with causality, checked as 'kvmuf traces validate' checks it; --out DIR writes each as",
      "NAME.concurrent.ndjson, which 'kvmuf traces validate' re-checks.",
      "  kvmuf conform --target host --concurrent --traces 50 --seed 1 --out logs/"
    })
public final class ConformCommand implements Callable<Integer> {
  static final int DEFAULT_TRACES = 100;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  enum TargetChoice { host, vm }

  @Option(names = "--target", paramLabel = "host|vm", description = "Required (except with --list): where the kernel is: host (this machine's /dev/kvm) or vm (under QEMU).")
  TargetChoice target;

  @Option(names = "--profile", paramLabel = "P",
      description = "KVM Userfault UAPI to speak: upstream, uf-v1, uf-v2, uf-v3 (default: probed from the kernel).")
  String profile;

  @Option(names = "--userfault-cap", paramLabel = "N",
      description = "Also ask capability N and take it as KVM_CAP_USERFAULT (a kernel that numbers it differently); "
          + "the profile is still detected by behaviour (see 'kvmuf probe').")
  Integer userfaultCap;

  @Option(names = "--rules", paramLabel = "all|none|NAME,...", defaultValue = "all",
      description = "Which rules to run (default: ${DEFAULT-VALUE}); see --list.")
  String rules;

  @Option(names = "--list", description = "List the rules and what each checks, then exit.")
  boolean list;

  @Option(names = "--json", description = "Print one JSON object instead of text (progress lines go to stderr).")
  boolean json;

  @Option(names = "--traces", paramLabel = "N", description = "Replay N model-generated traces (default " + DEFAULT_TRACES + "; 0: none).")
  Integer traces;

  @Option(names = "--in", paramLabel = "DIR|FILE", description = "Replay these *.ndjson traces instead of generated ones (host only).")
  java.nio.file.Path in;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Seed of the generated traces (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--config", paramLabel = "NAME[,NAME...]|all",
      description = "Model config(s) of the generated traces, sharing the N traces (all: every shipped config recorded ok; a config this "
          + "kernel cannot set up stops its traces as unsupported, with the reason). Default: on a kernel with KVM_CAP_USERFAULT every "
          + "shipped config recorded ok that it can set up; else conform-upstream, conform-kvm-access and conform-writes.")
  String config;

  @Option(names = "--length", paramLabel = "L", defaultValue = "50", description = "Most steps per generated trace (default: ${DEFAULT-VALUE}).")
  int length;

  @Option(names = "--out", paramLabel = "DIR", description = "Write each trace and its observed run (NDJSON) here (host only).")
  java.nio.file.Path outDir;

  @Option(names = "--model-mutant", paramLabel = "ID",
      description = "Change one model rule on purpose (a mutant of 'kvmuf mutants'): the rules' oracle and the trace generator use it, "
          + "so conform must report where the kernel parts ways with it.")
  String modelMutant;

  /** check's and generate's spelling, kept working here so one word works everywhere. */
  @Option(names = "--mutant", hidden = true, paramLabel = "ID")
  void mutantAlias(String id) {
    modelMutant = id;
  }

  @Option(names = "--kernel", paramLabel = "reference|SERIES|PKG|PATH",
      description = "With --target vm: the kernel to boot (see 'kvmuf vm --help'); reference: our KVM Userfault kernel.")
  String kernel;

  @Option(names = "--kernel-mutant", paramLabel = "ID|ALL",
      description = "With --kernel reference: boot with this seeded kernel bug (ALL: each in turn) and report it killed or survived.")
  String kernelMutant;

  @Option(names = "--vm-timeout", paramLabel = "SECONDS", defaultValue = "1800",
      description = "With --target vm: kill a VM after this many seconds (default: ${DEFAULT-VALUE}).")
  long vmTimeout;

  /** 'kvmuf vm run's old spelling. */
  @Option(names = "--timeout", hidden = true, paramLabel = "SECONDS")
  Long timeoutAlias; // a field: picocli applies --vm-timeout's default after parsing and would undo a setter

  @Option(names = "--force", description = "Write --out into a folder that already holds traces.")
  boolean force;

  @Option(names = "--concurrent", description = "Free-running vCPU, uffd and VMM threads; each run's log is validated against the model (see below).")
  boolean concurrent;

  private PrintWriter out() {
    return spec.commandLine().getOut();
  }

  @Override
  public Integer call() {
    if (timeoutAlias != null) vmTimeout = timeoutAlias;
    if (userfaultCap != null && userfaultCap <= 0) throw KvmufException.usage("--userfault-cap must be a positive capability number");
    // Process-wide, as the kernel is: every probe of this run (profile, rule texts, reports) also asks the number.
    if (target == TargetChoice.host) UserfaultEvidence.useCapability(userfaultCap == null ? OptionalInt.empty() : OptionalInt.of(userfaultCap));
    if (concurrent) return ConcurrentConformCli.run(this);
    if (traces != null && in != null) throw KvmufException.usage("--traces and --in exclude each other");
    if (traces != null && traces < 0) throw KvmufException.usage("--traces must be 0 or more");
    if (length < 1) throw KvmufException.usage("--length must be at least 1");
    if (vmTimeout <= 0) throw KvmufException.usage("--vm-timeout must be a positive number of seconds");
    int traceCount = in != null ? 0 : traces == null ? DEFAULT_TRACES : traces;
    List<Rule> selected;
    try {
      selected = rules.equals("none") ? List.of() : Rules.select(rules);
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
      for (Rule r : Rules.all()) out().printf("%-34s %s%n", r.name(), r.summary());
      out().flush();
      return ExitCodes.OK;
    }
    if (target == null) throw KvmufException.usage("--target is required: host (this machine's /dev/kvm) or vm (a kernel under QEMU)");
    if (selected.isEmpty() && traceCount == 0 && in == null) {
      throw KvmufException.usage("nothing to run: --rules none and --traces 0");
    }
    Optional<MutantId> mutant = modelMutant();
    if (mutant.isPresent() && in != null) {
      throw KvmufException.usage("--model-mutant changes the model that generates traces; it does not go with --in");
    }
    // Fail on a bad config name here, before a VM boots.
    if (config != null) configNames(config).forEach(c -> TraceFiles.config(c, List.of()));
    return switch (target) {
      case host -> {
        if (kernel != null || kernelMutant != null) {
          throw KvmufException.usage("--kernel and --kernel-mutant go with --target vm (the host runs its own kernel)");
        }
        yield host(selected, traceCount, uapi, mutant);
      }
      case vm -> {
        if (in != null || outDir != null) {
          throw KvmufException.usage("--in and --out work with --target host only; with --target vm the guest generates the traces (--traces N --seed S)");
        }
        yield kernelMutant != null ? mutantMatrix() : vm(guestArgs(traceCount));
      }
    };
  }

  private Optional<MutantId> modelMutant() {
    if (modelMutant == null) return Optional.empty();
    try {
      return Optional.of(MutantId.valueOf(modelMutant));
    } catch (IllegalArgumentException e) {
      throw KvmufException.usage("unknown model mutant '" + modelMutant + "'; valid: "
          + String.join(", ", java.util.Arrays.stream(MutantId.values()).map(Enum::name).toList()) + " (see 'kvmuf mutants')");
    }
  }

  private int host(List<Rule> selected, int traceCount, Optional<UapiProfile> uapi, Optional<MutantId> mutant) {
    // Before any rule runs: a result that cannot be written is known now, not after minutes of rules.
    if (outDir != null) TraceFiles.createOutDir(outDir, force);
    List<KernelTraces.Named> named = new ArrayList<>();
    String source = "";
    List<String> configNames = config == null ? List.of() : configNames(config);
    if (config == null && traceCount > 0) {
      KvmRequired.check("conform --target host");
      configNames = KernelTraces.defaultConfigs(uapi.orElseGet(HostConform::probedProfile));
    }
    if (in != null) {
      for (java.nio.file.Path f : TraceFiles.list(in)) {
        named.add(new KernelTraces.Named(f.getFileName().toString().replaceFirst("\\.ndjson$", ""), TraceFiles.readReplayable(f)));
      }
      source = in.toString();
    } else if (traceCount > 0) {
      // Several default configs share the N traces; the first config's are trace-NNNNNN, another's CONFIG-trace-NNNNNN,
      // numbered within that config (so '--config CONFIG --traces K' replays the same traces as trace-NNNNNN).
      List<String> parts = new ArrayList<>();
      for (int c = 0; c < configNames.size(); c++) {
        String name = configNames.get(c);
        int count = traceCount / configNames.size() + (c < traceCount % configNames.size() ? 1 : 0);
        Config traceConfig = TraceFiles.config(name, mutant.map(m -> List.of(m.name())).orElse(List.of()));
        Generator g = new Generator(traceConfig, Generator.Strategy.RANDOM, seed, Generator.defaultProfile(traceConfig), length);
        String prefix = c == 0 ? "" : name + "-";
        for (int k = 0; k < count; k++) named.add(new KernelTraces.Named(prefix + String.format("trace-%06d", k), g.generate(k)));
        parts.add(configNames.size() == 1 ? name : name + " (" + count + ")");
      }
      source = "generated: config" + (parts.size() == 1 ? " " : "s ") + String.join(", ", parts)
          + mutant.map(m -> " with model mutant " + m).orElse("") + ", seed " + seed + ", length " + length;
      if (config == null && mutant.isEmpty()) {
        List<KernelTraces.Named> directed = MutantTraces.onConfigs(configNames);
        named.addAll(directed);
        List<KernelTraces.Named> probes = UpdateProbeTraces.onConfigs(configNames);
        named.addAll(probes);
        source += "; and " + directed.size() + " trace" + (directed.size() == 1 ? "" : "s")
            + " that tell a catalogued model mutant from the correct model (mutant-ID), and " + probes.size()
            + " that make a memslot update early and then touch every gfn (after-UPDATE-CONFIG)";
      }
    }
    KvmRequired.check("conform --target host");
    if (outDir != null && !named.isEmpty()) TraceFiles.createOutDir(outDir);
    HostConform.Outcome o = new HostConform(selected, named, source, uapi, mutant, outDir, json).run(out(), spec.commandLine().getErr());
    o.json().ifPresent(m -> {
      out().println(Json.write(m));
      out().flush();
    });
    return o.divergences() > 0 ? ExitCodes.VIOLATION : ExitCodes.OK;
  }

  /**
   * "NAME", "A,B,C" or "all" (every shipped config whose recorded verdict is ok, in spec/expected-states.tsv's
   * order; a config recorded as a violation is named on its own): the trace configs.
   */
  static List<String> configNames(String spec) {
    if (spec.equals("all")) return KernelTraces.okConfigs();
    List<String> names = new ArrayList<>();
    for (String n : spec.split(",")) {
      String name = n.strip();
      if (name.isEmpty()) throw KvmufException.usage("--config: an empty name in '" + spec + "'");
      if (names.contains(name)) throw KvmufException.usage("--config: " + name + " given twice");
      names.add(name);
    }
    return names;
  }

  /** The arguments of the 'conform --target host' the guest runs. */
  List<String> guestArgs(int traceCount) {
    List<String> a = new ArrayList<>(List.of("conform", "--target", "host", "--rules", rules, "--traces", String.valueOf(traceCount),
        "--seed", String.valueOf(seed), "--length", String.valueOf(length)));
    if (config != null) a.addAll(List.of("--config", config));
    if (modelMutant != null) a.addAll(List.of("--model-mutant", modelMutant));
    if (profile != null) a.addAll(List.of("--profile", profile));
    if (userfaultCap != null) a.addAll(List.of("--userfault-cap", String.valueOf(userfaultCap)));
    if (json) a.add("--json");
    return a;
  }

  /** Runs 'conform --target host' inside a VM through the VM runner ('kvmuf vm run'), when this build has it. */
  int vm(List<String> guest) {
    CommandLine root = Kvmuf.commandLine();
    if (!root.getSubcommands().containsKey("vm")) {
      throw KvmufException.environment("the VM runner is not available in this build");
    }
    root.setOut(spec.commandLine().getOut());
    root.setErr(spec.commandLine().getErr());
    List<String> args = new ArrayList<>(List.of("vm", "run", "--vm-timeout", String.valueOf(vmTimeout)));
    if (kernel != null) args.addAll(List.of("--kernel", kernel));
    args.add("--");
    args.addAll(guest);
    return root.execute(args.toArray(String[]::new));
  }

  private int mutantMatrix() {
    if (!ReferenceKernel.NAME.equals(kernel)) {
      throw KvmufException.usage("--kernel-mutant needs --kernel reference (only our reference kernel has the seeded bugs)");
    }
    List<KernelMutant> mutants;
    try {
      mutants = KernelMutant.select(kernelMutant);
    } catch (IllegalArgumentException e) {
      throw KvmufException.usage(e.getMessage());
    }
    List<String> guest = new ArrayList<>(guestArgs(traces == null ? DEFAULT_TRACES : traces));
    if (!json) guest.add("--json"); // the matrix reads the guest's JSON either way
    MutantMatrix.Outcome o = new MutantMatrix(mutants, guest, java.time.Duration.ofSeconds(vmTimeout), json).run(out(), spec.commandLine().getErr());
    o.json().ifPresent(m -> {
      out().println(Json.write(m));
      out().flush();
    });
    return o.allKilled() ? ExitCodes.OK : ExitCodes.VIOLATION;
  }
}
