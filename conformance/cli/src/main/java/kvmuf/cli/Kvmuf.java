package kvmuf.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code kvmuf} command line: one subcommand per job, each with --help and, where a machine reads it, --json. */
@Command(
    name = "kvmuf",
    mixinStandardHelpOptions = true,
    version = "kvm-userfault-kit 0.1.0",
    description = {
      "Formal model and conformance kit for KVM Userfault:",
      "KVM_MEM_USERFAULT, the userfault bitmap, KVM_MEMORY_EXIT_FLAG_USERFAULT.",
      "Start with: kvmuf check (TLC on the small config), kvmuf mutants.",
      "Exit codes: 0 ok, 1 violation or divergence, 2 usage error, 3 environment missing,",
      "4 I/O error (permission, read-only filesystem, disk full) or internal error."
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
public final class Kvmuf implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Shown in help; the value is read before parsing (see {@link #run}) so it works after any subcommand too. */
  @Option(names = "--debug", description = "Print the stack trace of an internal error (also: KVMUF_DEBUG=1).")
  boolean debugOption;

  @Override
  public Integer call() {
    // No subcommand: teach, and say it was not a run.
    spec.commandLine().usage(spec.commandLine().getErr());
    return ExitCodes.USAGE;
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit code (tests call this instead of main). */
  public static int run(String... args) {
    List<String> rest = new ArrayList<>();
    boolean debug = Failures.debugFromEnv();
    boolean passThrough = false; // after '--' the words belong to the guest ('kvmuf vm run -- ...')
    for (String a : args) {
      if (!passThrough && a.equals("--debug")) {
        debug = true;
        continue;
      }
      passThrough |= a.equals("--");
      rest.add(a);
    }
    CommandLine cl = commandLine(debug);
    try {
      return cl.execute(rest.toArray(String[]::new));
    } catch (OutOfMemoryError e) {
      // picocli hands only exceptions to the execution handler; an Error thrown by the command's own thread ends here
      Failures.Failure f = Failures.outOfMemory();
      cl.getErr().println("kvmuf: " + f.line());
      cl.getErr().flush();
      return f.exitCode();
    }
  }

  public static CommandLine commandLine() {
    return commandLine(Failures.debugFromEnv());
  }

  /** The configured command line: usage errors and user errors print one line, never a stack trace. */
  public static CommandLine commandLine(boolean debug) {
    CommandLine cl = new CommandLine(new Kvmuf());
    // Descriptions are written as lines of up to ~100 characters; do not re-wrap them at 80.
    cl.setUsageHelpWidth(120);
    CommandSummaries.install(cl);
    cl.setParameterExceptionHandler(
        (ex, a) -> {
          CommandLine c = ex.getCommandLine();
          c.getErr().println("kvmuf: " + UsageErrors.line(ex));
          c.getErr().println("Try '" + c.getCommandSpec().qualifiedName() + " --help'.");
          return ExitCodes.USAGE;
        });
    cl.setExecutionExceptionHandler(
        (ex, c, parsed) -> {
          Failures.Failure f = Failures.of(ex);
          c.getOut().flush();
          c.getErr().println("kvmuf: " + f.line());
          if (debug) {
            ex.printStackTrace(c.getErr());
          }
          c.getErr().flush();
          return f.exitCode();
        });
    return cl;
  }
}
