package kvmuf.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code kvmuf traces}: NDJSON traces of API-level steps (conformance/TRACE-FORMAT.md). */
@Command(
    name = "traces",
    mixinStandardHelpOptions = true,
    description = {
      "Traces: NDJSON files of API-level steps with the observations the model allows",
      "(conformance/TRACE-FORMAT.md). generate writes a seeded corpus, replay steps a target",
      "through traces, validate checks a logged (possibly concurrent) run against the model,",
      "shrink reduces a failing trace to a minimal one."
    },
    subcommands = {
      TracesGenerateCommand.class,
      TracesReplayCommand.class,
      TracesValidateCommand.class,
      TracesShrinkCommand.class,
    })
public final class TracesCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
