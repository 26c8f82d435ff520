package kvmuf.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import kvmuf.spec.MutantCatalogue;
import kvmuf.spec.SpecBundle;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The check and mutants commands as a user meets them: output, JSON, exit codes, one-line errors. */
class CheckCommandTest {
  record Run(int rc, String out, String err) {
    JsonNode json() throws Exception {
      return new ObjectMapper().readTree(out);
    }
  }

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Kvmuf.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int rc = cl.execute(args);
    return new Run(rc, out.toString(), err.toString());
  }

  @Test
  void distributedTlcArgumentsAndATakenPortAreOneLine() throws Exception {
    assertThat(run("check", "--engine", "java", "--distributed").rc()).isEqualTo(ExitCodes.USAGE);
    assertThat(run("check", "--distributed", "--rmi-port", "0").rc()).isEqualTo(ExitCodes.USAGE);
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0)) {
      Run r = run("check", "--distributed", "--config", "small-gmem", "--rmi-port", Integer.toString(taken.getLocalPort()));
      assertThat(r.rc()).isEqualTo(ExitCodes.ENVIRONMENT);
      assertThat(r.err().strip()).contains("RMI port " + taken.getLocalPort() + " is taken").doesNotContain("\n");
    }
  }

  @Test
  void tlcOnASafeConfigReportsTheRecordedCount() throws Exception {
    Run r = run("check", "--config", "small-gmem", "--json");
    assertThat(r.rc()).isEqualTo(ExitCodes.OK);
    JsonNode j = r.json();
    assertThat(j.path("engine").asText()).isEqualTo("tlc");
    assertThat(j.path("result").asText()).isEqualTo("ok");
    assertThat(j.path("distinctStates").asLong()).isEqualTo(3839);
    assertThat(j.path("expected").path("matches").asBoolean()).isTrue();
    assertThat(j.path("counterexample")).isEmpty();
  }

  @Test
  void aMutantExitsOneAndNamesItsPropertyWithATimeline() throws Exception {
    Run r = run("check", "--engine", "java", "--mutant", "WrongExitFlags", "--json");
    assertThat(r.rc()).isEqualTo(ExitCodes.VIOLATION);
    JsonNode j = r.json();
    assertThat(j.path("config").asText()).as("the catalogued config is the default").isEqualTo("small-gmem");
    assertThat(j.path("property").asText()).isEqualTo("ExitWellFormed");
    JsonNode steps = j.path("counterexample");
    assertThat(steps.size()).isGreaterThan(1);
    assertThat(steps.get(steps.size() - 1).path("action").asText()).isEqualTo("CheckBitmap");
    assertThat(steps.get(steps.size() - 1).path("actor").asText()).startsWith("v");
  }

  @Test
  void textOutputDrawsTheCounterexampleAsATimeline() {
    Run r = run("check", "--engine", "java", "--mutant", "NoSeqRetry");
    assertThat(r.rc()).isEqualTo(ExitCodes.VIOLATION);
    assertThat(r.out()).contains("VIOLATION of NoStaleMapping").contains("counterexample").contains("InvalidateBegin")
        .contains("mmuInProgress: FALSE -> TRUE"); // the shortest: the install inside the invalidation window
  }

  @Test
  void bothEnginesAgreeOnAConfig() throws Exception {
    Run r = run("check", "--engine", "both", "--config", "small-arm64", "--json");
    assertThat(r.rc()).isEqualTo(ExitCodes.OK);
    assertThat(r.json().path("agree").asBoolean()).isTrue();
    assertThat(r.json().path("results")).hasSize(2);
  }

  @Test
  void badNamesAreOneLineUsageErrors() {
    Run config = run("check", "--config", "nope");
    assertThat(config.rc()).isEqualTo(ExitCodes.USAGE);
    assertThat(config.err().strip()).startsWith("kvmuf: unknown config 'nope'; valid: small").doesNotContain("\n").doesNotContain("Exception");
    Run mutant = run("check", "--mutant", "Nope");
    assertThat(mutant.rc()).isEqualTo(ExitCodes.USAGE);
    assertThat(mutant.err()).contains("unknown mutant 'Nope'").contains("NoZapOnEnable");
    Run engine = run("check", "--engine", "spin");
    assertThat(engine.rc()).isEqualTo(ExitCodes.USAGE);
    assertThat(engine.err()).contains("valid: tlc, java, both");
    Run workers = run("check", "--workers", "zero");
    assertThat(workers.rc()).isEqualTo(ExitCodes.USAGE);
  }

  @Test
  void aConfigFileWithoutARecordedCountIsCheckedAndSaysSo(@TempDir Path dir) throws Exception {
    Path own = dir.resolve("own.cfg");
    Files.writeString(own, SpecBundle.config("small-gmem").text().replace("Accesses = 1", "Accesses = 2"));
    Run r = run("check", "--engine", "both", "--config", own.toString(), "--json");
    assertThat(r.rc()).as(r.err()).isEqualTo(ExitCodes.OK);
    assertThat(r.json().path("agree").asBoolean()).isTrue();
    JsonNode java = r.json().path("results").get(1);
    assertThat(java.path("recorded").asBoolean()).isFalse();
    assertThat(java.has("expected")).isFalse();
    assertThat(java.path("distinctStates").asLong()).isGreaterThan(3839);
    assertThat(run("check", "--engine", "java", "--config", own.toString()).out()).contains("(no recorded count)");
  }

  @Test
  void aMalformedConfigFileIsAOneLineUsageErrorNamingFileAndLine(@TempDir Path dir) throws Exception {
    Path own = dir.resolve("own.cfg");
    String text = SpecBundle.config("small-gmem").text();
    Files.writeString(own, text.replace("NumGfns = 2", "NumGfns = two"));
    int line = java.util.Arrays.asList(text.split("\n")).indexOf("    NumGfns = 2") + 1;
    for (String engine : new String[] {"tlc", "java"}) {
      Run r = run("check", "--engine", engine, "--config", own.toString());
      assertThat(r.rc()).isEqualTo(ExitCodes.USAGE);
      assertThat(r.err().strip()).isEqualTo("kvmuf: " + own + ":" + line + ": NumGfns = two is not a natural number");
    }
    Files.writeString(own, text.replace("CHECK_DEADLOCK TRUE", "CHECK_DEADLOK TRUE"));
    Run keyword = run("check", "--config", own.toString());
    assertThat(keyword.rc()).isEqualTo(ExitCodes.USAGE);
    assertThat(keyword.err().strip()).contains(own + ":").contains("unknown keyword 'CHECK_DEADLOK'").doesNotContain("\n")
        .doesNotContain("Exception");
    Run missing = run("check", "--config", dir.resolve("none.cfg").toString());
    assertThat(missing.rc()).isEqualTo(ExitCodes.USAGE);
    assertThat(missing.err().strip()).endsWith("none.cfg: no such file");
  }

  @Test
  void mutantsJsonListsTheCatalogue() throws Exception {
    Run r = run("mutants", "--json");
    assertThat(r.rc()).isEqualTo(ExitCodes.OK);
    JsonNode j = r.json();
    assertThat(j.size()).isEqualTo(MutantCatalogue.load().mutants().size());
    assertThat(j.get(0).has("review")).isTrue();
    assertThat(run("mutants").out()).contains("NoWakeOnEexist").contains("Deadlock");
  }

  @Test
  void clearingTheBitEarlyIsHarmlessWhenUserfaultfdStillGuardsThePage() throws Exception {
    // The facts file: with userfaultfd in use, a vCPU that sees the bit clear before the install
    // falls into userfaultfd and waits; only guest_memfd (no uffd) reads stale data (R6).
    Run r = run("check", "--engine", "java", "--config", "small", "--mutant", "ClearBeforeInstall", "--json");
    assertThat(r.rc()).isEqualTo(ExitCodes.OK);
    assertThat(r.json().path("cataloguedConfig").asText()).isEqualTo("small-gmem");
    assertThat(run("check", "--engine", "java", "--config", "small", "--mutant", "ClearBeforeInstall").out())
        .contains("catalogued on config small-gmem");
  }
}
