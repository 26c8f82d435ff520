package kvmuf.vm;

import kvmuf.cli.CliRun;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A VM run stopped by SIGINT or SIGTERM leaves no /tmp/kvmuf-vm* folder (its initrd: 57 MB with the
 * kit's image) and no QEMU. The run is a forked JVM (this class's main) booting a kernel under QEMU
 * with a tiny image, its java.io.tmpdir a folder of this test's own. Needs QEMU and a kernel: the
 * vm-tests profile, like VmBootIT.
 */
@Tag("vm")
class VmInterruptIT {

  /** The forked side: one VM run that lasts (a kernel booting under TCG, then a panic) until it is signalled. */
  public static void main(String[] args) throws Exception {
    Path image = Path.of(args[0]);
    Progress progress = Progress.stderr(false);
    Kernel k = KernelSource.resolve(System.getenv("KVMUF_VM_KERNEL"), null, Cache.root(), progress);
    new VmRunner(QemuLocator.locate(), k, image, Duration.ofSeconds(300), progress).run(List.of("/bin/true"), o -> {});
  }

  @ParameterizedTest
  @ValueSource(strings = {"INT", "TERM"})
  void aSignalDuringAVmRunLeavesNoFolderAndNoQemu(String signal, @TempDir Path tmp) throws Exception {
    Path jtmp = Files.createDirectories(tmp.resolve("jtmp"));
    Path image = tmp.resolve("broken.cpio");
    try (OutputStream out = Files.newOutputStream(image); CpioWriter w = new CpioWriter(out)) {
      w.file("init", 0755, "not an executable\n".getBytes(StandardCharsets.UTF_8));
    }
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Djava.io.tmpdir=" + jtmp, "-cp", System.getProperty("java.class.path"), VmInterruptIT.class.getName(), image.toString()));
    Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(tmp.resolve("err.txt").toFile()).start();
    try {
      assertThat(CliRun.waitFor(() -> qemuAlive(jtmp), 240)).as("QEMU runs on the initrd in our tmpdir; stderr: %s",
          Files.exists(tmp.resolve("err.txt")) ? Files.readString(tmp.resolve("err.txt")) : "").isTrue();
      assertThat(CliRun.kitFolders(jtmp)).hasSize(1);
      Thread.sleep(2_000);
      new ProcessBuilder("kill", "-s", signal, Long.toString(p.pid())).start().waitFor();
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the runner exits on SIG" + signal).isTrue();
      assertThat(CliRun.waitFor(() -> !qemuAlive(jtmp), 10)).as("no QEMU left").isTrue();
      assertThat(CliRun.kitFolders(jtmp)).as("nothing left under java.io.tmpdir/kvmuf-*").isEmpty();
    } finally {
      p.destroyForcibly();
    }
  }


  static boolean qemuAlive(Path jtmp) {
    return ProcessHandle.allProcesses().anyMatch(h -> h.info().commandLine()
        .map(c -> c.contains("qemu-system") && c.contains(jtmp.toString())).orElse(false));
  }

}
