package kvmuf.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kvmuf kernel build's inputs, cache key and names, and a series that does not apply, on a small fake tree. */
class BuiltKernelsTest {
  /** The checkout's kernel-reference/ (tests run in conformance/vm). */
  static final Path SCRIPTS = Path.of("").toAbsolutePath().getParent().getParent().resolve("kernel-reference");

  @TempDir Path dir;

  Path series(String... patches) throws Exception {
    Path s = Files.createDirectories(dir.resolve("series-" + patches.length));
    StringBuilder names = new StringBuilder("# a comment\n");
    for (int i = 0; i < patches.length; i++) {
      String name = String.format("%04d-p.patch", i + 1);
      Files.writeString(s.resolve(name), patches[i]);
      names.append(name).append(i == 0 ? "" : " -p1").append('\n');
    }
    Files.writeString(s.resolve("series"), names);
    Files.writeString(s.resolve("README.md"), "not an input\n");
    return s;
  }

  static final String GOOD = """
      --- a/hello.c
      +++ b/hello.c
      @@ -1,4 +1,4 @@
       int main(void)
       {
      -\treturn 0;
      +\treturn 1;
       }
      """;
  static final String BAD = """
      --- a/hello.c
      +++ b/hello.c
      @@ -1,4 +1,4 @@
       int main(void)
       {
      -\treturn 42;
      +\treturn 43;
       }
      """;

  Path fakeTree() throws Exception {
    Path t = Files.createDirectories(dir.resolve("tree"));
    Files.writeString(t.resolve("hello.c"), "int main(void)\n{\n\treturn 0;\n}\n");
    return t;
  }

  @Test
  void theSeriesFileNamesThePatchesInOrder() throws Exception {
    Path s = series(GOOD, BAD);
    assertThat(BuiltKernels.seriesPatches(s)).containsExactly("0001-p.patch", "0002-p.patch");
    Files.writeString(s.resolve("series"), "0001-p.patch\nmissing.patch\n");
    assertThatThrownBy(() -> BuiltKernels.seriesPatches(s)).hasMessageContaining("names missing patch missing.patch");
  }

  @Test
  void theKeyFollowsTheInputsNotTheDocumentation() throws Exception {
    Path s = series(GOOD);
    var in = new BuiltKernels.Inputs(SCRIPTS, "7.3", s, Optional.empty(), Optional.empty());
    String k = BuiltKernels.key(in, "7.3.4-1~bpo13+1");
    Files.writeString(s.resolve("README.md"), "other words\n");
    assertThat(BuiltKernels.key(in, "7.3.4-1~bpo13+1")).isEqualTo(k);
    assertThat(BuiltKernels.key(in, "7.3.5-1~bpo13+1")).isNotEqualTo(k);
    assertThat(BuiltKernels.key(new BuiltKernels.Inputs(SCRIPTS, "6.12", s, Optional.empty(), Optional.empty()), "7.3.4-1~bpo13+1"))
        .isNotEqualTo(k);
    Files.writeString(s.resolve("0001-p.patch"), GOOD + " \n");
    assertThat(BuiltKernels.key(in, "7.3.4-1~bpo13+1")).isNotEqualTo(k);
    assertThat(in.effectiveFragment()).isEqualTo(SCRIPTS.resolve("config.fragment"));
    assertThatThrownBy(() -> new BuiltKernels.Inputs(SCRIPTS, "6.6", s, Optional.empty(), Optional.empty()))
        .isInstanceOf(VmException.class).hasMessageContaining("7.3, 6.12");
  }

  @Test
  void aSeriesThatDoesNotApplyNamesThePatchAndTheFileOfItsFirstRejectedHunk() throws Exception {
    Path s = series(GOOD, BAD);
    var in = new BuiltKernels.Inputs(SCRIPTS, "7.3", s, Optional.empty(), Optional.of(fakeTree()));
    Path cache = dir.resolve("cache");
    assertThatThrownBy(() -> BuiltKernels.build(in, "broken", cache, Progress.stderr(true)))
        .isInstanceOf(VmException.class)
        .satisfies(e -> assertThat(((VmException) e).kind()).isEqualTo(VmException.Kind.ENVIRONMENT))
        .hasMessageStartingWith("patch 0002-p.patch does not apply to linux-source-7.3 tree:")
        .hasMessageEndingWith("hunk #1 (at line 1) of hello.c rejected")
        .hasMessageNotContaining("\n");
    assertThat(BuiltKernels.list(cache)).isEmpty();
    assertThatThrownBy(() -> BuiltKernels.resolve("built:broken", cache)).hasMessageContaining("no kernel built under that name");
  }

  @Test
  void namesAreChecked() {
    assertThatThrownBy(() -> BuiltKernels.checkName("../x")).isInstanceOf(VmException.class);
    BuiltKernels.checkName("mine-7.3_v2");
  }
}
