package kvmuf.tlc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import kvmuf.check.CheckResult;
import kvmuf.check.Verdict;
import kvmuf.spec.SpecBundle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a user sees when TLC cannot run or rejects a cfg: one true line, none of TLC's -tool framing. */
class TlcRunnerErrorsTest {

  @Test
  void aCfgTlcRejectsIsAnErrorNamingTheCauseWithoutMarkers() {
    // A cfg that leaves the spec's constants unassigned: TLC's own message says so.
    CheckResult r = TlcRunner.inSpecFolder("kvmuf-tlc-test-", dir -> {
      Files.writeString(dir.resolve("bad.cfg"), "SPECIFICATION Spec\nINVARIANT TypeOK\n");
      return TlcRunner.locate().runModule(dir, SpecBundle.MC_MODULE, "bad.cfg", "bad", Optional.empty());
    });
    assertThat(r.verdict()).isEqualTo(Verdict.ERROR);
    assertThat(r.error()).get().asString()
        .contains("configuration file")
        .doesNotContain("@!@!@")
        .doesNotContain("\n");
  }

  @Test
  void oneLineDropsTheFramingAndJoinsTheMessage() {
    assertThat(TlcRunner.oneLine(List.of("@!@!@STARTMSG 1000:1 @!@!@\nSomething broke\n  here\n@!@!@ENDMSG 1000 @!@!@")))
        .isEqualTo("Something broke here");
    assertThat(TlcRunner.oneLine(List.of())).contains("no error message");
  }

  @Test
  void aToolsJarThatIsMissingAFolderOrNotTlcIsRefusedBeforeARun(@TempDir Path tmp) throws Exception {
    assertThatThrownBy(() -> TlcRunner.checkedJar(tmp.resolve("nosuch.jar")))
        .isInstanceOf(TlcSetupException.class).hasMessageEndingWith("nosuch.jar: no such file");
    assertThatThrownBy(() -> TlcRunner.checkedJar(tmp)).isInstanceOf(TlcSetupException.class).hasMessageContaining("is a folder");
    Path junk = Files.writeString(tmp.resolve("junk.jar"), "junk");
    assertThatThrownBy(() -> TlcRunner.checkedJar(junk)).isInstanceOf(TlcSetupException.class).hasMessageContaining("not a readable jar");
    Path real = TlcRunner.locate().toolsJar();
    assertThat(TlcRunner.checkedJar(real)).isEqualTo(real);
  }
}
