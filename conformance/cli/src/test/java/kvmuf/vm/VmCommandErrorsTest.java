package kvmuf.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import kvmuf.cli.CliRun;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The environment errors of 'kvmuf vm': exit 3 and exactly one line, never a stack trace. */
class VmCommandErrorsTest {
  record Result(int code, String out, String err) {}

  private static Result kvmuf(String... args) {
    CliRun r = CliRun.inProcess(args);
    return new Result(r.rc(), r.out(), r.err());
  }

  @AfterEach
  void clear() {
    System.clearProperty("kvmuf.qemu");
    System.clearProperty("kvmuf.cache");
  }

  @Test
  void aBadKernelPathIsOneLineAndExit3(@TempDir Path cache) {
    System.setProperty("kvmuf.cache", cache.toString());
    Result r = kvmuf("vm", "run", "--kernel", "/nonexistent/bzImage", "--", "--version");
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err().lines()).containsExactly("kvmuf: kernel image not found or unreadable: /nonexistent/bzImage");
  }

  @Test
  void aMissingModulesDirIsOneLineAndExit3(@TempDir Path tmp) throws Exception {
    Path k = Files.writeString(tmp.resolve("bzImage"), "not really a kernel");
    Result r = kvmuf("vm", "run", "--kernel", k.toString(), "--modules", tmp.resolve("nope").toString(), "--", "--version");
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err().lines()).singleElement().asString().startsWith("kvmuf: modules directory not found: ");
  }

  @Test
  void missingQemuIsOneLineAndExit3(@TempDir Path tmp) throws Exception {
    Path k = Files.writeString(tmp.resolve("bzImage"), "not really a kernel");
    System.setProperty("kvmuf.qemu", tmp.resolve("no-qemu-here").toString());
    Result r = kvmuf("vm", "probe", "--json", "--kernel", k.toString());
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.out()).isEmpty();
    assertThat(r.err().lines()).singleElement().asString()
        .startsWith("kvmuf: QEMU not found: apt-get install qemu-system-x86");
  }

  @Test
  void qemuIsLookedUpOnThePath(@TempDir Path tmp) throws Exception {
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> QemuLocator.locate(null, bin.toString()))
        .isInstanceOfSatisfying(VmException.class, e -> assertThat(e.kind()).isEqualTo(VmException.Kind.ENVIRONMENT));
    Path qemu = Files.writeString(bin.resolve("qemu-system-x86_64"), "#!/bin/sh\n");
    qemu.toFile().setExecutable(true);
    assertThat(QemuLocator.locate(null, tmp.resolve("empty") + ":" + bin)).isEqualTo(qemu);
  }

  @Test
  void aBadTimeoutIsAUsageError(@TempDir Path tmp) throws Exception {
    Result r = kvmuf("vm", "run", "--timeout", "0", "--", "--version");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err().lines()).hasSize(1);
  }

  @Test
  void helpTeachesKernelsCacheTimeoutAndExitCodes() {
    Result r = kvmuf("vm", "run", "--help");
    assertThat(r.code()).isZero();
    Result vm = kvmuf("vm", "--help");
    assertThat(vm.out()).contains("6.12", "--kernel 6.1", "~/.cache/kvmuf", "Exit codes", "panic", "timeout");
    assertThat(r.out()).contains("--vm-timeout", "--kernel", "--modules");
  }
}
