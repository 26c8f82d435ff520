package kvmuf.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What keys the reference kernel's cache, and how its seeded bugs are named and booted. */
class ReferenceKernelTest {
  @TempDir Path dir;

  @Test
  void theBuildInputsAreEverythingButTheDocumentation() throws Exception {
    Files.createDirectories(dir.resolve("patches"));
    Files.writeString(dir.resolve("build.sh"), "#!/bin/sh\n");
    Files.writeString(dir.resolve("config.fragment"), "CONFIG_KVM=y\n");
    Files.writeString(dir.resolve("patches/series"), "0001-a.patch\n");
    Files.writeString(dir.resolve("patches/0001-a.patch"), "diff\n");
    Files.writeString(dir.resolve("README.md"), "# words\n");
    List<Path> in = ReferenceKernel.buildInputs(dir);
    assertThat(in).extracting(p -> dir.relativize(p).toString())
        .containsExactly("build.sh", "config.fragment", "patches/0001-a.patch", "patches/series");
  }

  @Test
  void aMutantIsABootArgumentOnTopOfTheKernelsOwn() {
    Kernel k = new Kernel(Path.of("/tmp/bzImage"), java.util.Optional.empty(), "reference kernel");
    Kernel m = k.withBootArg(KernelMutant.NoBitmapCheck.bootArg(), ", mutant NoBitmapCheck");
    assertThat(m.bootArgs()).containsExactly("kvm.userfault_mutant=NoBitmapCheck");
    assertThat(m.label()).isEqualTo("reference kernel, mutant NoBitmapCheck");
    assertThat(k.bootArgs()).isEmpty();
    VmRunner r = new VmRunner(Path.of("/usr/bin/qemu-system-x86_64"), m, Path.of("/tmp/img"), java.time.Duration.ofSeconds(1),
        Progress.stderr(true));
    assertThat(r.appendLine()).containsExactly("console=ttyS0", "quiet", "panic=-1", "kvm.userfault_mutant=NoBitmapCheck");
  }

  @Test
  void mutantsAreSelectedByExactIdOrAll() {
    assertThat(KernelMutant.select("ALL")).hasSize(5).contains(KernelMutant.RecoverWithDirtyLog);
    assertThat(KernelMutant.select("WrongExitFlags")).containsExactly(KernelMutant.WrongExitFlags);
    assertThatThrownBy(() -> KernelMutant.select("wrongexitflags")).hasMessageContaining("valid: ALL, NoZapOnEnable");
  }
}
