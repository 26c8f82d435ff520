package kvmuf.cli;

import picocli.CommandLine.Option;

/** The progress switch every long-running command shares. */
final class ProgressOptions {
  @Option(names = {"-q", "--quiet"}, description = "No progress lines on stderr (by default a line every few seconds while the run goes on).")
  boolean quiet;
}
