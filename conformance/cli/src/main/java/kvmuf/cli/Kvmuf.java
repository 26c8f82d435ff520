package kvmuf.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code kvmuf} command line: one subcommand per job, each with --help and, where a machine reads it, --json. */
@Command(
    name = "kvmuf",
    mixinStandardHelpOptions = true,
    version = "kvm-userfault-kit 0.1.0",
    description = {
      "Formal model and conformance kit for KVM Userfault:",
      "KVM_MEM_USERFAULT, the userfault bitmap, KVM_MEMORY_EXIT_FLAG_USERFAULT.",
      "Start with: kvmuf check (TLC on the small config), kvmuf mutants.",
      "Exit codes: 0 ok, 1 violation or divergence, 2 usage error, 3 environment missing."
    },
    subcommands = {
      CheckCommand.class,
      MutantsCommand.class,
      BenchCommand.class,
      CommandLine.HelpCommand.class,
      ProbeCommand.class,
      TracesCommand.class,
      ConformCommand.class,
      VmCommand.class,
      KernelCommand.class,
    })
public final class Kvmuf implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    // No subcommand: teach, do not fail silently.
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit code (tests call this instead of main). */
  public static int run(String... args) {
    return commandLine().execute(args);
  }

  /** The configured command line: usage errors and user errors print one line, never a stack trace. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Kvmuf());
    // Descriptions are written as lines of up to ~100 characters; do not re-wrap them at 80.
    cl.setUsageHelpWidth(120);
    cl.setParameterExceptionHandler(
        (ex, a) -> {
          ex.getCommandLine().getErr().println("kvmuf: " + ex.getMessage());
          ex.getCommandLine().getErr().println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help'.");
          return ExitCodes.USAGE;
        });
    cl.setExecutionExceptionHandler(
        (ex, c, parsed) -> {
          if (ex instanceof KvmufException k) {
            c.getErr().println("kvmuf: " + k.getMessage());
            return k.exitCode();
          }
          if (ex instanceof kvmuf.vm.VmException v) {
            c.getErr().println("kvmuf: " + v.getMessage());
            return v.kind() == kvmuf.vm.VmException.Kind.USAGE ? ExitCodes.USAGE : ExitCodes.ENVIRONMENT;
          }
          throw ex;
        });
    return cl;
  }
}
