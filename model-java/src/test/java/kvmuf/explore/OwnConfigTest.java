package kvmuf.explore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import kvmuf.check.CheckResult;
import kvmuf.check.Verdict;
import kvmuf.model.Config;
import kvmuf.spec.CfgException;
import kvmuf.spec.ExpectedVerdicts;
import kvmuf.spec.SpecBundle;
import kvmuf.tlc.TlcRunner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/** Both engines check a config the kit does not record, given as a path, and agree on it. */
class OwnConfigTest {
  @TempDir Path dir;

  private Path own(String from, String to) throws IOException {
    Path p = dir.resolve("own.cfg");
    Files.writeString(p, SpecBundle.config("small-gmem").text().replace(from, to));
    return p;
  }

  private Path ownTwice(String from, String to, String from2, String to2) throws IOException {
    Path p = dir.resolve("own.cfg");
    Files.writeString(p, SpecBundle.config("small-gmem").text().replace(from, to).replace(from2, to2));
    return p;
  }

  private static int line(String fragment) {
    String[] rows = SpecBundle.config("small-gmem").text().split("\n", -1);
    for (int n = 0; n < rows.length; n++) {
      if (rows[n].contains(fragment)) {
        return n + 1;
      }
    }
    throw new AssertionError(fragment);
  }

  @Test
  void anUnrecordedConfigFileIsCheckedByBothEnginesAlike() throws IOException {
    Path p = own("Accesses = 1", "Accesses = 2");
    assertThat(ExpectedVerdicts.load().find("own")).isEmpty();
    CheckResult java = new Explorer(Config.load(p.toString()), 2, s -> {}).run();
    CheckResult tlc = TlcRunner.locate().run(p.toString(), Optional.empty(), 2, s -> {});
    assertThat(java.verdict()).isEqualTo(Verdict.OK).isEqualTo(tlc.verdict());
    assertThat(java.distinctStates()).isEqualTo(tlc.distinctStates())
        .isNotEqualTo(ExpectedVerdicts.load().find("small-gmem").orElseThrow().distinctStates());
  }

  /**
   * Past the old two-long encoding's cap (3 vCPUs, 5 gfns): 8 gfns take two gfn words (a gfn record
   * in each), 4 vCPUs two vCPU words (the symmetry sort moves slots between words). TLC, which has
   * no encoding, must find the same number of distinct states.
   */
  @ParameterizedTest
  @CsvSource({"'{v1}', 8", "'{v1, v2, v3, v4}', 2"})
  void configsBeyondTheOldEncodingCapAgreeWithTlc(String vcpus, int gfns) throws IOException {
    Path p = dir.resolve("wide.cfg");
    Files.writeString(p, SpecBundle.config("small-gmem").text()
        .replace("Vcpus = {v1, v2}", "Vcpus = " + vcpus).replace("NumGfns = 2", "NumGfns = " + gfns));
    Config c = Config.load(p.toString());
    assertThat(c.vcpus() > 3 || c.numGfns() > 5).as("beyond the old cap").isTrue();
    CheckResult java = new Explorer(c, 2, s -> {}).run();
    CheckResult tlc = TlcRunner.locate().run(p.toString(), Optional.empty(), 2, s -> {});
    assertThat(java.verdict()).isEqualTo(Verdict.OK).isEqualTo(tlc.verdict());
    assertThat(java.distinctStates()).isEqualTo(tlc.distinctStates()).isGreaterThan(50_000);
  }

  @Test
  void badValuesAreOneLineErrorsNamingTheLine() throws IOException {
    Path gfns = own("NumGfns = 2", "NumGfns = 3");
    assertThatThrownBy(() -> Config.load(gfns.toString())).isInstanceOf(CfgException.class)
        .hasMessage(gfns + ":" + line("HugeSpan =") + ": HugeSpan must be at least 1 and divide NumGfns = 3");
    Path kind = own("SlotKind = \"gmem\"", "SlotKind = \"gmemfd\"");
    assertThatThrownBy(() -> Config.load(kind.toString())).isInstanceOf(CfgException.class)
        .hasMessage(kind + ":" + line("SlotKind =") + ": SlotKind = \"gmemfd\" is not one of \"anon\", \"shmem\", \"gmem\", \"gmem-private\"");
    Path bool = own("DirtyLog = FALSE", "DirtyLog = false");
    assertThatThrownBy(() -> Config.load(bool.toString())).isInstanceOf(CfgException.class)
        .hasMessage(bool + ":" + line("DirtyLog =") + ": DirtyLog = false is not TRUE or FALSE");
    Path assume = own("UffdMode = \"none\"", "UffdMode = \"missing\"");
    assertThatThrownBy(() -> Config.load(assume.toString())).isInstanceOf(CfgException.class)
        .hasMessageStartingWith(assume + ":" + line("UffdMode =") + ": ASSUME: SlotKind = \"gmem\" needs UffdMode = \"none\"");
    Path privateKvm = ownTwice("SlotKind = \"gmem\"", "SlotKind = \"gmem-private\"", "KvmAccesses = FALSE", "KvmAccesses = TRUE");
    assertThatThrownBy(() -> Config.load(privateKvm.toString())).isInstanceOf(CfgException.class)
        .hasMessageStartingWith(privateKvm + ":" + line("SlotKind =") + ": ASSUME: SlotKind = \"gmem-private\" needs Arch = \"x86\" and KvmAccesses = FALSE");
    Path mutant = own("Mutants = {}", "Mutants = {\"Nope\"}");
    assertThatThrownBy(() -> Config.load(mutant.toString())).isInstanceOf(CfgException.class)
        .hasMessageStartingWith(mutant + ":" + line("Mutants =") + ": unknown mutant \"Nope\"");
  }
}
