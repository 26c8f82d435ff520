package kvmuf.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import kvmuf.vm.JUnitSummary;
import kvmuf.vm.KernelMutant;
import kvmuf.vm.Progress;
import kvmuf.vm.SerialFraming;
import kvmuf.vm.VmRunner;
import kvmuf.vm.VmSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kvmuf vm}: run the kit inside a real Linux kernel booted under QEMU, with nested KVM. */
@Command(
    name = "vm",
    mixinStandardHelpOptions = true,
    description = {
      "Boot a real Linux kernel under QEMU and run the kit inside it, against that kernel's /dev/kvm.",
      "No host KVM is needed: QEMU emulates the CPU (TCG, -cpu max exposes SVM), the guest loads",
      "kvm-amd and gets a working /dev/kvm. Host /dev/kvm, when usable, only makes it faster.",
    },
    subcommands = {VmCommand.Run.class, VmCommand.Probe.class, VmCommand.Test.class},
    footer = {
      "",
      "Kernels: default is the newest Debian linux-image-6.12.*-cloud-amd64-unsigned known to apt;",
      "  --kernel reference builds our KVM Userfault kernel (Debian linux-source-7.3 + kernel-reference/",
      "  patches; 8-15 minutes on 2 shared cores, then cached by a hash of source version, patches, fragment",
      "  and build scripts; needs flex bison bc libelf-dev libssl-dev) and --kernel-mutant ID boots it",
      "  with one seeded bug; --kernel built:NAME boots what 'kvmuf kernel build --name NAME' built;",
      "  --kernel 7.3 picks Debian's newest 7.3 cloud kernel (trixie-backports, through a private apt",
      "  sources list); --kernel 6.1 the newest 6.1 cloud kernel; --kernel linux-image-... names a package;",
      "  --kernel PATH [--modules DIR] boots your own build (DIR: its lib/modules/VERSION tree;",
      "  leave it out when KVM is built in).",
      "Guest JVM flags: add some with $KVMUF_GUEST_JAVA_OPTIONS (space-separated).",
      "Cache: ~/.cache/kvmuf ($KVMUF_CACHE or $XDG_CACHE_HOME/kvmuf if set): kernels/, built/, apt/, runtime/,",
      "  initramfs/ (named by a hash of their inputs; safe to delete).",
      "Needs: qemu-system-x86_64, busybox (static), xz, apt-get/dpkg for packages, a JDK 25.",
      "  apt-get install qemu-system-x86 busybox-static xz-utils",
      "Exit codes: the guest command's own code; 2 usage error; 3 environment: QEMU, kernel or",
      "  busybox missing, boot failure, guest kernel panic, timeout (each one line on stderr).",
    })
public final class VmCommand implements java.util.concurrent.Callable<Integer> {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    // No subcommand is a usage error: the usage, on stderr, and exit 2.
    spec.commandLine().usage(spec.commandLine().getErr());
    return ExitCodes.USAGE;
  }

  /** Options every vm subcommand shares. */
  static final class VmOptions {
    @Option(names = "--kernel", paramLabel = "PKG|SERIES|PATH",
        description = "Kernel to boot: reference (our KVM Userfault kernel, built from kernel-reference/ and cached), built:NAME "
            + "(kvmuf kernel build --name NAME), a Debian package name, a series (7.3, 6.12, 6.1), or a kernel image path. "
            + "Default: newest 6.12 cloud kernel.")
    String kernel;

    @Option(names = "--kernel-mutant", paramLabel = "ID",
        description = "With --kernel reference: switch on one seeded kernel bug at boot (kvm.userfault_mutant=ID): "
            + "NoZapOnEnable, HugeWhileUserfault, RecoverWithDirtyLog, NoBitmapCheck, WrongExitFlags.")
    String kernelMutant;

    @Option(names = "--modules", paramLabel = "DIR",
        description = "With --kernel PATH: the kernel's modules tree (lib/modules/VERSION); kvm-amd/kvm-intel and their dependencies are loaded from it.")
    String modules;

    @Option(names = "--vm-timeout", paramLabel = "SECONDS", defaultValue = "600",
        description = "Kill the VM after this many seconds (default ${DEFAULT-VALUE}); reported as a timeout, exit 3.")
    long timeout;

    /** The old name of --vm-timeout (conform says --vm-timeout), kept so scripts keep working. */
    @Option(names = "--timeout", hidden = true, paramLabel = "SECONDS")
    Long timeoutAlias; // a field: picocli applies --vm-timeout's default after parsing and would undo a setter

    @Option(names = {"-q", "--quiet"}, description = "No progress lines on stderr.")
    boolean quiet;

    VmSession session(boolean forceQuiet) {
      if (timeoutAlias != null) {
        timeout = timeoutAlias;
      }
      if (timeout <= 0) {
        throw KvmufException.usage("--vm-timeout must be a positive number of seconds");
      }
      return new VmSession(kernel, modules, mutant(), Duration.ofSeconds(timeout), Progress.stderr(quiet || forceQuiet));
    }

    Optional<KernelMutant> mutant() {
      if (kernelMutant == null) return Optional.empty();
      try {
        List<KernelMutant> m = KernelMutant.select(kernelMutant);
        if (m.size() != 1) throw KvmufException.usage("--kernel-mutant ALL works with 'kvmuf conform --target vm' only; name one mutant here");
        return Optional.of(m.getFirst());
      } catch (IllegalArgumentException e) {
        throw KvmufException.usage(e.getMessage());
      }
    }
  }

  /** Prints the command's stdout lines to stdout and stderr lines to stderr, as they arrive. */
  static void print(SerialFraming.Output o) {
    (o.stderr() ? System.err : System.out).println(o.text());
  }

  @Command(
      name = "run",
      mixinStandardHelpOptions = true,
      description = {
        "Run './kvmuf ARGS...' inside the VM and exit with its exit code.",
        "Example: kvmuf vm run -- --version;  kvmuf vm run --kernel 6.1 -- probe --json",
        "Progress (download, initramfs, boot) goes to stderr; the command's output is streamed back",
        "over the serial console, its stdout to stdout and its stderr to stderr.",
      })
  static final class Run implements Callable<Integer> {
    @Mixin VmOptions vm = new VmOptions();

    @Parameters(paramLabel = "ARGS", arity = "0..*", description = "The kvmuf arguments to run in the guest (after --).")
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
      VmSession s = vm.session(false);
      return s.run(VmSession.kitCommand(args), List.of(), VmCommand::print).exitCode();
    }
  }

  @Command(
      name = "probe",
      mixinStandardHelpOptions = true,
      description = {
        "Print what the guest kernel's KVM supports: runs 'kvmuf probe' inside the VM.",
        "With --json stdout carries only the probe's JSON and progress is silent.",
      })
  static final class Probe implements Callable<Integer> {
    @Mixin VmOptions vm = new VmOptions();

    @Option(names = "--json", description = "Machine-readable output (the guest's probe --json).")
    boolean json;

    @Option(names = "--profile", paramLabel = "ID", description = "Passed to the guest's probe: report this UAPI profile.")
    String profile;

    @Option(names = "--userfault-cap", paramLabel = "N", description = "Passed to the guest's probe: also ask capability N.")
    Integer userfaultCap;

    @Override
    public Integer call() {
      ProbeCommand.profileOption(profile); // a bad id is a usage error here, before a boot
      VmSession s = vm.session(json);
      List<String> args = new ArrayList<>(List.of("probe"));
      if (json) {
        args.add("--json");
      }
      if (profile != null) args.addAll(List.of("--profile", profile));
      if (userfaultCap != null) args.addAll(List.of("--userfault-cap", userfaultCap.toString()));
      return s.run(VmSession.kitCommand(args), List.of(), VmCommand::print).exitCode();
    }
  }

  @Command(
      name = "test",
      mixinStandardHelpOptions = true,
      description = {
        "Run JUnit tests tagged 'kvm' inside the VM (or, with --here, on this machine's /dev/kvm)",
        "with the JUnit console launcher, then print the guest kernel release and the counts.",
        "Exit 0 when at least one test passed and none failed, 1 otherwise. scripts/vm-tests.sh",
        "builds the class path (kernel-adapter test classes and jars) and calls this.",
      })
  static final class Test implements Callable<Integer> {
    @Mixin VmOptions vm = new VmOptions();

    @Option(names = "--launcher", required = true, paramLabel = "JAR",
        description = "junit-platform-console-standalone jar.")
    Path launcher;

    @Option(names = "--class-path", required = true, split = ":", paramLabel = "PATH",
        description = "Test class folders and jars (':'-separated), scanned for tests.")
    List<Path> classPath;

    @Option(names = "--include-tag", defaultValue = "kvm", paramLabel = "TAG",
        description = "JUnit tag expression to run (default ${DEFAULT-VALUE}).")
    String tag;

    @Option(names = "--here", description = "Run on this machine (needs /dev/kvm) instead of in a VM.")
    boolean here;

    @Override
    public Integer call() throws Exception {
      List<String> seen = new ArrayList<>();
      String release;
      if (here) {
        release = HostTests.run(launcher, classPath, tag, seen);
      } else {
        VmSession s = vm.session(false);
        List<Path> roots = new ArrayList<>(classPath);
        roots.add(launcher);
        List<String> guestCp = new ArrayList<>();
        List<String> scan = new ArrayList<>();
        for (int i = 0; i < classPath.size(); i++) {
          guestCp.add(VmSession.guestRoot(roots, i));
          if (java.nio.file.Files.isDirectory(classPath.get(i))) {
            scan.add(VmSession.guestRoot(roots, i));
          }
        }
        List<String> cmd = VmSession.guestJava();
        cmd.addAll(List.of("-jar", VmSession.guestRoot(roots, roots.size() - 1)));
        cmd.addAll(HostTests.launcherArgs(String.join(":", guestCp), String.join(":", scan), tag));
        VmRunner.Report r = s.run(cmd, roots, o -> {
          seen.add(o.text());
          print(o);
        });
        release = r.kernelRelease().orElse("unknown");
      }
      var summary = JUnitSummary.parse(seen);
      if (summary.isEmpty()) {
        System.err.println("kvmuf: kernel " + release + ": the JUnit launcher printed no summary");
        return ExitCodes.VIOLATION;
      }
      JUnitSummary sum = summary.get();
      System.out.println("kvmuf vm test: kernel " + release + ": " + sum.counts()
          + (sum.ok() ? "" : sum.passed() == 0 && sum.failed() == 0 ? " (FAILED: no test passed)" : " (FAILED)"));
      return sum.ok() ? ExitCodes.OK : ExitCodes.VIOLATION;
    }
  }
}
