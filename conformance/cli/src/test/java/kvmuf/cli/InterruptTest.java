package kvmuf.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Ctrl-C (SIGINT) or SIGTERM during a long TLC run leaves nothing behind: no spec folder with TLC's
 * metadir (100+ MB after 20 s on main), no TLC JVM. The kit runs in a forked JVM whose
 * java.io.tmpdir is a folder of this test's own, so other runs on the machine do not count.
 */
class InterruptTest {

  @ParameterizedTest
  @ValueSource(strings = {"INT", "TERM"})
  void aSignalDuringCheckLargeLeavesNoTempFolderAndNoTlc(String signal, @TempDir Path tmp) throws Exception {
    Path err = tmp.resolve("err.txt");
    Path jtmp = Files.createDirectories(tmp.resolve("jtmp"));
    Process p = CliRun.forked(jtmp, Map.of(), "check", "--config", "large")
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
    try {
      // Interrupt once TLC runs (its folder exists), ~5 s into the run as a user would.
      assertThat(CliRun.waitFor(() -> CliRun.kitFolders(jtmp).size() == 1, 60)).as("TLC's folder appears").isTrue();
      Thread.sleep(5_000);
      assertThat(tlcAlive(jtmp)).as("TLC is running").isTrue();
      new ProcessBuilder("kill", "-s", signal, Long.toString(p.pid())).start().waitFor();
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the kit exits on SIG" + signal).isTrue();
      assertThat(CliRun.waitFor(() -> !tlcAlive(jtmp), 10)).as("no TLC JVM left").isTrue();
      assertThat(CliRun.kitFolders(jtmp)).as("nothing left under java.io.tmpdir/kvmuf-*").isEmpty();
      // Progress reaches a non-terminal stderr within those seconds.
      assertThat(Files.readString(err, StandardCharsets.UTF_8)).contains("check: tlc on large: ");
    } finally {
      p.destroyForcibly();
    }
  }


  /** A process whose command line names our tmpdir: TLC's -metadir is under it. */
  static boolean tlcAlive(Path jtmp) {
    return ProcessHandle.allProcesses().anyMatch(h -> h.info().commandLine()
        .map(c -> c.contains("tlc2.TLC") && c.contains(jtmp.toString())).orElse(false));
  }

}
