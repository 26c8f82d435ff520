package kvmuf.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import kvmuf.bench.Backing;
import kvmuf.bench.BenchConfig;
import kvmuf.bench.CellResult;
import kvmuf.bench.DemandPagingBench;
import kvmuf.bench.Mode;
import kvmuf.bench.Report;
import kvmuf.bench.Selftest;
import kvmuf.bench.Sizes;
import kvmuf.bench.SvgPlot;
import kvmuf.bench.Target;
import kvmuf.bench.VmDelegate;
import kvmuf.kvm.Kvm;
import kvmuf.kvm.UnsupportedFeatureException;
import kvmuf.uffd.Userfaultfd;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kvmuf bench demand-paging}: the series' demand-paging table, measured on this kernel through FFM. */
@Command(
    name = "demand-paging",
    mixinStandardHelpOptions = true,
    description = {
      "Each vCPU (guest agent) or thread touches every 4 KiB page of its own chunk once, as",
      "demand_paging_test -a does; faults are served per mode:",
      "  none           memory pre-populated: the bare access path",
      "  uffd-single    one userfaultfd for the whole region, --readers reader threads",
      "  uffd-per-vcpu  one userfaultfd per vCPU chunk, one reader each",
      "  kvm-uf         KVM Userfault exits, resolved by the vCPU thread (needs KVM_CAP_USERFAULT)",
      "  kvm-uf+uffd    KVM Userfault exits resolved through one userfaultfd (needs KVM_CAP_USERFAULT)",
      "anon: UFFDIO_COPY of MISSING faults; shmem: UFFDIO_CONTINUE of MINOR faults (page cache preallocated).",
      "Prints per-vCPU pages/s (the series' unit: mean over vCPUs of pages / own elapsed time) and overall",
      "pages/s, and checks that every page was touched exactly once and every fault served once.",
      "Exit codes: 0 ok, 1 a check failed, 2 bad options, 3 /dev/kvm, userfaultfd, the VM runner or",
      "the selftest build missing."
    })
public final class BenchDemandPagingCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Where --target vm finds the VM runner; tests swap in a fake. */
  static java.util.function.Supplier<java.util.Optional<VmDelegate>> vmLocator = VmDelegate::locate;

  @Option(names = "--target", defaultValue = "host", paramLabel = "host|vm|threads",
      description = "host: this kernel's /dev/kvm; vm: the same bench inside a QEMU VM; threads: host threads, no KVM (default: ${DEFAULT-VALUE}).")
  String target;

  @Option(names = "--vcpus", defaultValue = "1,2,4", paramLabel = "N[,N...]", description = "vCPU (or thread) counts (default: ${DEFAULT-VALUE}).")
  String vcpus;

  @Option(names = "--mem-per-vcpu", defaultValue = "64M", paramLabel = "SIZE", description = "Memory each vCPU touches, e.g. 64M (default: ${DEFAULT-VALUE}, as the series).")
  String memPerVcpu;

  @Option(names = "--mode", defaultValue = "none,uffd-single,uffd-per-vcpu", paramLabel = "MODE[,MODE...]",
      description = "Modes: none, uffd-single, uffd-per-vcpu, kvm-uf, kvm-uf+uffd (default: ${DEFAULT-VALUE}).")
  String modes;

  @Option(names = "--readers", defaultValue = "1", paramLabel = "R", description = "Reader threads on the single userfaultfd (default: ${DEFAULT-VALUE}).")
  int readers;

  @Option(names = "--backing", defaultValue = "anon", paramLabel = "anon|shmem", description = "Guest memory (default: ${DEFAULT-VALUE}).")
  String backing;

  @Option(names = "--json", description = "Print one JSON object instead of the tables.")
  boolean json;

  @Option(names = "--plot", paramLabel = "FILE.svg", description = "Also write an SVG plot of per-vCPU pages/s against vCPUs.")
  Path plot;

  @Option(names = "--repeat", defaultValue = "1", paramLabel = "N",
      description = "Measured runs per cell; the median run (by per-vCPU pages/s) is reported, all rates in JSON (default: ${DEFAULT-VALUE}).")
  int repeat;

  @Option(names = "--no-warmup", description = "Skip the unmeasured warm-up (one single-vCPU run per mode before the cells, for the JIT).")
  boolean noWarmup;

  @Option(names = "--warmup-size", defaultValue = "192M", paramLabel = "SIZE",
      description = "Memory of each warm-up run (default: ${DEFAULT-VALUE}; less under QEMU TCG, where a fault costs milliseconds).")
  String warmupSize;

  @Option(names = "--compare-selftest", description = {
      "Also run the kernel's own tools/testing/selftests/kvm/demand_paging_test (built once from Debian's",
      "linux-source-6.12 into ~/.cache/kvmuf/selftest) with the same parameters, and print both and the ratio."})
  boolean compareSelftest;

  @Override
  public Integer call() throws Exception {
    BenchConfig config = parse();
    if (config.target() == Target.VM) return runInVm(config);
    if (config.modes().stream().anyMatch(Mode::usesUffd)) requireUffd();
    List<CellResult> cells;
    if (config.target() == Target.HOST) {
      Kvm kvm;
      try {
        kvm = Kvm.open();
      } catch (UnsupportedFeatureException e) {
        throw KvmufException.environment(e.getMessage() + " (try --target threads, which needs no KVM)");
      }
      try (kvm) {
        cells = runBench(config, kvm);
      }
    } else {
      cells = runBench(config, null);
    }
    return emit(config, cells, Report.json(config, cells));
  }

  /**
   * A system call the machine refuses (mmap ENOMEM, UFFDIO_REGISTER EPERM, KVM_CREATE_VCPU EINVAL ...) is an
   * environment problem, exit 3; a worker or reader that failed or a fault that was never served is a failed
   * run, exit 1. Either way one line, no stack trace.
   */
  private List<CellResult> runBench(BenchConfig config, Kvm kvm) {
    try {
      return new DemandPagingBench(config, kvm, this::progress).runAll();
    } catch (kvmuf.sys.SyscallException e) {
      throw KvmufException.environment("bench stopped: " + e.getMessage());
    } catch (IllegalStateException e) {
      Throwable root = e.getCause() instanceof kvmuf.sys.SyscallException s ? s : e;
      if (root instanceof kvmuf.sys.SyscallException s) throw KvmufException.environment("bench stopped: " + s.getMessage());
      throw new KvmufException(ExitCodes.VIOLATION, "bench failed: " + e.getMessage());
    }
  }

  private int emit(BenchConfig config, List<CellResult> cells, Map<String, Object> jsonOut) throws IOException {
    List<Selftest.Comparison> comparisons = List.of();
    if (compareSelftest) {
      if (config.target() == Target.THREADS) throw KvmufException.usage("--compare-selftest needs vCPUs: use --target host or vm");
      Selftest selftest = Selftest.inCache();
      try {
        selftest.ensureBuilt(this::progress);
      } catch (Selftest.BuildException e) {
        throw KvmufException.environment("cannot build demand_paging_test: " + e.getMessage());
      }
      comparisons = selftest.compare(config, cells, this::progress);
      jsonOut.put("selftest", Selftest.json(comparisons));
    }
    if (plot != null) Files.writeString(plot, SvgPlot.render(config, cells));
    var out = spec.commandLine().getOut();
    if (json) {
      out.println(Json.write(jsonOut));
    } else {
      out.print(Report.table(config, cells));
      if (compareSelftest) out.print(Selftest.table(comparisons));
      if (plot != null) out.println("plot: " + plot);
    }
    out.flush();
    return Report.problems(cells).isEmpty() ? ExitCodes.OK : ExitCodes.VIOLATION;
  }

  BenchConfig parse() {
    try {
      return new BenchConfig(
          Target.parse(target), Sizes.parseCounts(vcpus), Sizes.parseSize(memPerVcpu), Mode.parseList(modes), readers, Backing.parse(backing), noWarmup ? 0 : Sizes.parseSize(warmupSize), repeat);
    } catch (IllegalArgumentException e) {
      throw KvmufException.usage(e.getMessage());
    }
  }

  private static void requireUffd() {
    try (Userfaultfd u = Userfaultfd.open(0)) {
      // opened and handshaken: usable
    } catch (RuntimeException e) {
      throw KvmufException.environment("userfaultfd is not usable here: " + e.getMessage());
    }
  }

  /**
   * --target vm: the same bench with --target host runs inside the VM and prints there; its output is passed
   * through unchanged (figures come only from the VM's run).
   */
  private int runInVm(BenchConfig config) {
    VmDelegate vm = vmLocator.get().orElseThrow(() -> KvmufException.environment("the VM runner is not available in this build"));
    if (plot != null) throw KvmufException.usage("--plot is not available with --target vm yet: use --json and plot on the host");
    List<String> args = hostArgs(config);
    progress("running inside the VM (" + vm.describe() + "): kvmuf " + String.join(" ", args));
    VmDelegate.Outcome o = vm.runKvmuf(args);
    var out = spec.commandLine().getOut();
    if (!json) out.println("(inside the VM: " + vm.describe() + ")");
    out.print(o.stdout());
    out.flush();
    if (!o.stderr().isBlank()) spec.commandLine().getErr().print(o.stderr());
    return o.exitCode();
  }

  /** The argument list that reproduces this run on the host target (used inside the VM). */
  List<String> hostArgs(BenchConfig c) {
    List<String> a = new ArrayList<>(List.of("bench", "demand-paging", "--target", "host",
        "--vcpus", String.join(",", c.vcpus().stream().map(String::valueOf).toList()),
        "--mem-per-vcpu", Sizes.selftestSize(c.memPerVcpu()),
        "--mode", String.join(",", c.modes().stream().map(Mode::cliName).toList()),
        "--readers", Integer.toString(c.readers()),
        "--backing", c.backing().cliName()));
    if (json) a.add("--json");
    if (!c.warmup()) a.add("--no-warmup");
    else a.addAll(List.of("--warmup-size", Sizes.selftestSize(c.warmupBytes())));
    if (c.repeat() > 1) a.addAll(List.of("--repeat", Integer.toString(c.repeat())));
    if (compareSelftest) a.add("--compare-selftest");
    return a;
  }

  private void progress(String s) {
    if (!json && System.console() != null) System.err.println("bench: " + s);
  }
}
