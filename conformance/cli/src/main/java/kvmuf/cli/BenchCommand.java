package kvmuf.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code kvmuf bench}: benchmarks, kept apart from the tests (a benchmark is not a timed test). */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = {"Benchmarks. Each prints its figures from one run; none is part of the test suite."},
    subcommands = {BenchExplorerCommand.class, BenchDemandPagingCommand.class, BenchConformCommand.class})
public final class BenchCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
