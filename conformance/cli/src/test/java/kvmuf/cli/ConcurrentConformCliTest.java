package kvmuf.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import kvmuf.kvm.Kvm;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** conform --target host --concurrent as a user meets it, and its logs re-checked with traces validate. */
@Tag("kvm")
@Timeout(300)
class ConcurrentConformCliTest {
  @TempDir Path dir;

  static void needKvm() {
    String noKvm = Kvm.unavailableReason();
    if (noKvm != null) System.err.println("[skipped] ConcurrentConformCliTest: " + noKvm);
    assumeTrue(noKvm == null, noKvm);
  }

  @Test
  void concurrentRunsPrintCountsWriteLogsAndTracesValidateRechecksThem() throws Exception {
    needKvm();
    CheckCommandTest.Run r = CheckCommandTest.run("conform", "--target", "host", "--concurrent", "--config", "conform-upstream",
        "--traces", "4", "--seed", "2", "--json", "--out", dir.toString());
    assertThat(r.rc()).as(r.out() + r.err()).isEqualTo(ExitCodes.OK);
    JsonNode j = r.json();
    assertThat(j.path("mode").asText()).isEqualTo("concurrent");
    assertThat(j.path("source").asText()).contains("conform-upstream").contains("seed 2");
    JsonNode c = j.path("counts");
    assertThat(c.path("runs").asInt()).isEqualTo(4);
    assertThat(c.path("valid").asInt()).isEqualTo(4);
    assertThat(c.path("divergent").asInt()).isZero();
    assertThat(c.path("unsupported").asInt()).isZero();
    assertThat(c.path("eventsLogged").asInt()).isGreaterThanOrEqualTo(4 * 3); // per run: a read, its message and its COPY at least
    assertThat(r.err()).contains("run 1/4").contains("run 4/4");

    Path log = dir.resolve("run-000000.concurrent.ndjson");
    assertThat(Files.readString(log)).contains("\"generator\":\"concurrent\"").contains("\"action\":\"UffdInstall\"");
    assertThat(Kvmuf.run("traces", "validate", log.toString())).isEqualTo(ExitCodes.OK);

    // the same log with a read's value class changed: traces validate rejects it
    List<String> lines = Files.readAllLines(log);
    int k = 1;
    while (!lines.get(k).contains("\"value\":\"fetched\"")) k++;
    lines.set(k, lines.get(k).replace("\"value\":\"fetched\"", "\"value\":\"stale\""));
    Path bad = dir.resolve("altered.ndjson");
    Files.write(bad, lines);
    assertThat(Kvmuf.run("traces", "validate", bad.toString())).isEqualTo(ExitCodes.VIOLATION);
  }

  @Test
  void textModePrintsOneLinePerRunAndTheCounts() {
    needKvm();
    CheckCommandTest.Run r = CheckCommandTest.run("conform", "--target", "host", "--concurrent", "--config", "conform-upstream",
        "--traces", "2", "--seed", "9");
    assertThat(r.rc()).as(r.out() + r.err()).isEqualTo(ExitCodes.OK);
    assertThat(r.out()).contains("conform --target host: kernel").contains("concurrent: config conform-upstream, seed 9, 2 runs")
        .contains("run-000000: pass (").contains("run-000001: pass (")
        .contains("runs: 2 (2 valid, 0 divergent, 0 unsupported)");
  }

  /** Without --config the kernel decides: conform-userfault-2vcpu with KVM_CAP_USERFAULT, else conform-upstream. */
  @Test
  void withoutAConfigTheDefaultIsTheKernels() {
    needKvm();
    String expected = ConcurrentConformCli.defaultConfig(kvmuf.conform.run.HostConform.probedProfile());
    assertThat(ConcurrentConformCli.defaultConfig(kvmuf.kvm.UapiProfile.UPSTREAM)).isEqualTo("conform-upstream");
    assertThat(ConcurrentConformCli.defaultConfig(kvmuf.kvm.UapiProfile.UF_V3)).isEqualTo("conform-userfault-2vcpu");
    CheckCommandTest.Run r = CheckCommandTest.run("conform", "--target", "host", "--concurrent", "--traces", "1", "--seed", "9");
    assertThat(r.rc()).as(r.out() + r.err()).isEqualTo(ExitCodes.OK);
    assertThat(r.out()).contains("concurrent: config " + expected + ", seed 9, 1 runs");
  }

  /** --target vm runs 'conform --target host' with these arguments inside the guest: they must make a host run. */
  @Test
  void theArgumentsPassedIntoTheVmMakeTheSameHostRun() {
    needKvm();
    List<String> args = new java.util.ArrayList<>(List.of("conform", "--target", "host"));
    args.addAll(ConcurrentConformCli.guestArgs(2, 3, Optional.of("conform-upstream")));
    CheckCommandTest.Run r = CheckCommandTest.run(args.toArray(String[]::new));
    assertThat(r.rc()).as(r.out() + r.err()).isEqualTo(ExitCodes.OK);
    assertThat(r.out()).contains("concurrent: config conform-upstream, seed 3, 2 runs").contains("runs: 2 (2 valid");
  }

  @Test
  void aConfigThisKernelCannotRunIsUnsupportedNotPassed() {
    needKvm();
    CheckCommandTest.Run r = CheckCommandTest.run("conform", "--target", "host", "--concurrent", "--traces", "2", "--config", "apf-uffd");
    assertThat(r.rc()).as(r.out() + r.err()).isEqualTo(ExitCodes.OK);
    assertThat(r.out()).contains("run-000000: unsupported: config apf-uffd has AsyncPf = kernel")
        .contains("runs: 2 (0 valid, 0 divergent, 2 unsupported)");
  }
}
