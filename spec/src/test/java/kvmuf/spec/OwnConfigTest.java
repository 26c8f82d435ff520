package kvmuf.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A user's own config file: read by path, and every mistake reported as file:line in one line. */
class OwnConfigTest {
  @TempDir Path dir;

  private Path write(String text) throws IOException {
    Path p = dir.resolve("own.cfg");
    Files.writeString(p, text);
    return p;
  }

  private String small() {
    return SpecBundle.config("small").text();
  }

  @Test
  void aConfigFileIsReadByPathAndNamedAfterTheFile() throws IOException {
    Path p = write(small().replace("Accesses = 1", "Accesses = 2"));
    CfgFile cfg = SpecBundle.config(p.toString());
    assertThat(cfg.name()).isEqualTo("own");
    assertThat(cfg.constant("Accesses")).isEqualTo("2");
    assertThat(cfg.line("Accesses")).isEqualTo(lineOf(cfg.text(), "Accesses = 2"));
    assertThat(ExpectedVerdicts.load().find(cfg.name())).as("not a recorded config").isEmpty();
    assertThat(SpecBundle.isPath("small")).isFalse();
    assertThat(SpecBundle.isPath("own.cfg")).isTrue();
  }

  @Test
  void aMissingFileIsOneLine() {
    assertThatThrownBy(() -> SpecBundle.config(dir.resolve("none.cfg").toString()))
        .isInstanceOf(CfgException.class).hasMessageEndingWith("none.cfg: no such file");
  }

  @Test
  void aSyntaxErrorNamesTheLine() throws IOException {
    Path p = write(small().replace("NumGfns = 2", "NumGfns 2"));
    int line = lineOf(small(), "NumGfns = 2");
    assertThatThrownBy(() -> SpecBundle.config(p.toString()))
        .isInstanceOf(CfgException.class)
        .hasMessage(p + ":" + line + ": expected 'Name = value', got 'NumGfns 2'");
  }

  @Test
  void anUnknownKeywordNamesTheLine() throws IOException {
    Path p = write(small().replace("CHECK_DEADLOCK TRUE", "CHECK_DEADLOK TRUE"));
    assertThatThrownBy(() -> SpecBundle.config(p.toString()))
        .isInstanceOf(CfgException.class)
        .hasMessage(p + ":" + lineOf(small(), "CHECK_DEADLOCK TRUE") + ": unknown keyword 'CHECK_DEADLOK'");
  }

  @Test
  void anUnknownConstantOrInvariantNamesTheLine() throws IOException {
    Path c = write(small().replace("MaxInvalidate = 1", "MaxInvalidates = 1"));
    assertThatThrownBy(() -> SpecBundle.config(c.toString()))
        .isInstanceOf(CfgException.class)
        .hasMessageStartingWith(c + ":" + lineOf(small(), "MaxInvalidate = 1") + ": unknown constant 'MaxInvalidates'");
    Path i = write(small().replace("    ArmedNotMapped", "    ArmedNotMaped"));
    assertThatThrownBy(() -> SpecBundle.config(i.toString()))
        .isInstanceOf(CfgException.class)
        .hasMessageStartingWith(i + ":" + lineOf(small(), "    ArmedNotMapped") + ": unknown invariant 'ArmedNotMaped'");
  }

  @Test
  void aMissingConstantNamesTheFile() throws IOException {
    Path p = write(small().replace("    KvmAccesses = TRUE\n", ""));
    assertThatThrownBy(() -> SpecBundle.config(p.toString()))
        .isInstanceOf(CfgException.class).hasMessage(p + ": does not set KvmAccesses");
  }

  @Test
  void valuesAreCheckedWhereTheyAreRead() throws IOException {
    CfgFile cfg = SpecBundle.config(write(small().replace("NumGfns = 2", "NumGfns = two")).toString());
    assertThatThrownBy(() -> cfg.natural("NumGfns"))
        .isInstanceOf(CfgException.class)
        .hasMessage(cfg.source() + ":" + lineOf(small(), "NumGfns = 2") + ": NumGfns = two is not a natural number");
    assertThatThrownBy(() -> cfg.oneOf("Arch", java.util.List.of("arm64")))
        .isInstanceOf(CfgException.class).hasMessageContaining(": Arch = \"x86\" is not one of \"arm64\"");
  }

  static int lineOf(String text, String fragment) {
    String[] rows = text.split("\n", -1);
    for (int n = 0; n < rows.length; n++) {
      if (rows[n].contains(fragment)) {
        return n + 1;
      }
    }
    throw new AssertionError(fragment + " not in the text");
  }
}
