package kvmuf.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import kvmuf.kvm.Kvm;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** conform --traces and traces replay --target host as a user meets them, on this machine's kernel. */
@Tag("kvm")
@Timeout(300)
class KernelTraceCliTest {
  @TempDir Path dir;

  static void needKvm() {
    String noKvm = Kvm.unavailableReason();
    if (noKvm != null) System.err.println("[skipped] " + noKvm);
    assumeTrue(noKvm == null, noKvm);
  }

  @Test
  void conformTracesPrintsCountsAndWritesObservedRunsNextToTheExpectations() throws Exception {
    needKvm();
    CheckCommandTest.Run r = CheckCommandTest.run("conform", "--target", "host", "--rules", "none", "--traces", "3", "--seed", "1",
        "--config", "conform-upstream", "--json",
        "--out", dir.toString());
    assertThat(r.rc()).as(r.out() + r.err()).isEqualTo(ExitCodes.OK);
    JsonNode c = r.json().path("traces").path("counts");
    assertThat(c.path("traces").asInt()).isEqualTo(3);
    assertThat(c.path("divergences").asInt()).isZero();
    assertThat(c.path("passed").asInt()).isEqualTo(3);
    assertThat(c.path("stepsRun").asInt()).isPositive();
    assertThat(c.path("stepsUnsupported").asInt()).isZero();
    assertThat(r.json().path("traces").path("source").asText()).contains("conform-upstream");
    assertThat(r.json().path("divergences").asInt()).isZero();
    assertThat(dir.resolve("trace-000000.ndjson")).exists();
    assertThat(Files.readString(dir.resolve("trace-000000.observed.ndjson"))).contains("\"generator\":\"observed\"").contains("\"observed\"");

    // the same files replayed by traces replay --target host: same verdicts
    Path in = dir.resolve("in");
    Files.createDirectories(in);
    Files.copy(dir.resolve("trace-000001.ndjson"), in.resolve("trace-000001.ndjson"));
    CheckCommandTest.Run replay = CheckCommandTest.run("traces", "replay", "--target", "host", "--in", in.toString());
    assertThat(replay.rc()).as(replay.out() + replay.err()).isEqualTo(ExitCodes.OK);
    assertThat(replay.out()).contains("trace-000001: pass").contains("divergences: 0");
  }

  @Test
  void unsupportedStepsAreCountedAndNamedNotPassed() throws Exception {
    needKvm();
    CheckCommandTest.Run r = CheckCommandTest.run("conform", "--target", "host", "--rules", "none", "--traces", "2", "--config", "apf-uffd");
    assertThat(r.rc()).as(r.out() + r.err()).isEqualTo(ExitCodes.OK);
    assertThat(r.out()).contains("trace-000000: unsupported at step 0").contains("AsyncPf = kernel")
        .contains("traces: 2 (0 passed, 0 diverged, 2 stopped at an unsupported step)");
  }
}
