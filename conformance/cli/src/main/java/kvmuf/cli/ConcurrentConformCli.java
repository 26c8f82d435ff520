package kvmuf.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import kvmuf.conform.run.HostConform;
import kvmuf.conform.run.ConcurrentConformRun;
import kvmuf.kvm.UapiProfile;
import kvmuf.model.Config;
import picocli.CommandLine;

/**
 * {@code conform --concurrent}: checks its options, runs {@link ConcurrentConformRun} on this host (or the same
 * command inside a VM), prints its JSON object and maps the result to an exit code. Kept out of {@link
 * ConformCommand} so that the mode is one call there.
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
    for (String other : List.of("--in", "--rules", "--length", "--list", "--model-mutant", "--mutant", "--kernel-mutant")) {
      if (parsed.hasMatchedOption(other)) {
        throw KvmufException.usage("--concurrent runs seeded workloads of its own (--config, --traces N, --seed S); it does not take " + other);
      }
    }
    if (c.traces != null && c.traces < 1) throw KvmufException.usage("--traces must be at least 1");
    int runs = c.traces == null ? DEFAULT_RUNS : c.traces;
    // Read before the target is known, so that a bad name is a usage error on every target.
    Optional<Config> named = Optional.ofNullable(c.config).map(n -> TraceFiles.config(n, List.of()));
    Optional<UapiProfile> uapi;
    try {
      uapi = Optional.ofNullable(c.profile).map(UapiProfile::byId);
    } catch (IllegalArgumentException e) {
      throw KvmufException.usage(e.getMessage());
    }
    if (c.target == null) throw KvmufException.usage("--target is required: host (this machine's /dev/kvm) or vm (a kernel under QEMU)");
    return switch (c.target) {
      case host -> host(named, runs, uapi);
      case vm -> {
        if (c.outDir != null) {
          throw KvmufException.usage("--out works with --target host only; with --target vm the guest runs the threads (--traces N --seed S)");
        }
        List<String> guest = new ArrayList<>(List.of("conform", "--target", "host"));
        guest.addAll(guestArgs(runs, c.seed, named.map(Config::name)));
        if (c.profile != null) guest.addAll(List.of("--profile", c.profile));
        if (c.userfaultCap != null) guest.addAll(List.of("--userfault-cap", String.valueOf(c.userfaultCap)));
        if (c.json) guest.add("--json");
        yield c.vm(guest);
      }
    };
  }

  /**
   * What 'conform --target host' is given inside the VM (besides --profile and --json as given); without a
   * config the guest picks the default for its own kernel ({@link #defaultConfig}).
   */
  static List<String> guestArgs(int runs, long seed, Optional<String> config) {
    List<String> args = new ArrayList<>(List.of("--concurrent", "--traces", String.valueOf(runs), "--seed", String.valueOf(seed)));
    config.ifPresent(n -> args.addAll(List.of("--config", n)));
    return args;
  }

  /**
   * The default config for this kernel: on a kernel with KVM_CAP_USERFAULT, conform-userfault-2vcpu (two vCPUs
   * taking USERFAULT exits and resolving them, the VMM marking gfns and toggling USERFAULT and dirty logging, a
   * uffd handler: the post-copy protocol under free-running threads); else conform-upstream (userfaultfd and
   * dirty logging only).
   */
  static String defaultConfig(UapiProfile profile) {
    return profile.hasUserfault() ? "conform-userfault-2vcpu" : "conform-upstream";
  }

  private int host(Optional<Config> named, int runs, Optional<UapiProfile> uapi) {
    KvmRequired.check("conform --target host --concurrent");
    Config config = named.orElseGet(() -> TraceFiles.config(defaultConfig(uapi.orElseGet(HostConform::probedProfile)), List.of()));
    if (c.outDir != null) TraceFiles.createOutDir(c.outDir, c.force);
    PrintWriter out = c.spec.commandLine().getOut();
    HostConform.Outcome o = new ConcurrentConformRun(config, c.seed, runs, uapi, Optional.ofNullable(c.outDir), c.json)
        .run(out, c.spec.commandLine().getErr());
    o.json().ifPresent(m -> out.println(Json.write(m)));
    out.flush();
    return o.divergences() > 0 ? ExitCodes.VIOLATION : ExitCodes.OK;
  }
}
