package kvmuf.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import kvmuf.cli.Kvmuf;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 'kvmuf kernel build' with a series that does not apply (a real patch run on a small fake tree, so the build
 * stops before configuring): exit 3 and one line naming the patch and the file; 'kvmuf kernel list' and
 * '--kernel built:NAME' on an empty cache.
 */
class KernelCommandTest {
  record Result(int code, String out, String err) {}

  @TempDir Path tmp;

  private static Result kvmuf(String... args) {
    kvmuf.cli.CliRun r = kvmuf.cli.CliRun.inProcess(args);
    return new Result(r.rc(), r.out(), r.err());
  }

  @BeforeEach
  void cacheAndScripts() {
    System.setProperty("kvmuf.cache", tmp.resolve("cache").toString());
    // Tests run in conformance/cli; the build scripts are the checkout's kernel-reference/.
    System.setProperty("kvmuf.kernel.reference",
        Path.of("").toAbsolutePath().getParent().getParent().resolve("kernel-reference").toString());
  }

  @AfterEach
  void clear() {
    System.clearProperty("kvmuf.cache");
    System.clearProperty("kvmuf.kernel.reference");
  }

  @Test
  void aSeriesThatDoesNotApplyIsExit3AndOneLineNamingPatchAndFile() throws Exception {
    Path tree = Files.createDirectories(tmp.resolve("tree/virt/kvm"));
    Files.writeString(tree.resolve("kvm_main.c"), "static int a;\nstatic int b;\nstatic int c;\n");
    Path series = Files.createDirectories(tmp.resolve("series"));
    Files.writeString(series.resolve("0001-wrong-context.patch"), """
        --- a/virt/kvm/kvm_main.c
        +++ b/virt/kvm/kvm_main.c
        @@ -1,3 +1,3 @@
         static int a;
        -static int x;
        +static int y;
         static int c;
        """);
    Files.writeString(series.resolve("series"), "0001-wrong-context.patch\n");
    Result r = kvmuf("kernel", "build", "-q", "--series", series.toString(), "--source-tree", tmp.resolve("tree").toString(),
        "--name", "broken");
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err().lines()).singleElement().asString()
        .startsWith("kvmuf: patch 0001-wrong-context.patch does not apply to linux-source-7.3 tree:")
        .endsWith("hunk #1 (at line 1) of virt/kvm/kvm_main.c rejected");
    assertThat(r.out()).isEmpty();
    // The tree the test gave was not touched (build.sh patches a copy).
    assertThat(Files.readString(tree.resolve("kvm_main.c"))).contains("static int b;");

    Result list = kvmuf("kernel", "list");
    assertThat(list.code()).isZero();
    assertThat(list.out()).startsWith("no kernels built yet");
    Result boot = kvmuf("vm", "probe", "--kernel", "built:broken");
    assertThat(boot.code()).isEqualTo(3);
    assertThat(boot.err().lines()).singleElement().asString().contains("no kernel built under that name");
  }

  @Test
  void usageMistakesAreExit2() throws Exception {
    Path series = Files.createDirectories(tmp.resolve("empty"));
    assertThat(kvmuf("kernel", "build", "--series", series.toString()).code()).isEqualTo(2);
    Files.writeString(series.resolve("series"), "a.patch\n");
    Files.writeString(series.resolve("a.patch"), "");
    Result r = kvmuf("kernel", "build", "--series", series.toString(), "--base", "5.10");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().lines()).singleElement().asString().contains("--base 5.10");
  }
}
