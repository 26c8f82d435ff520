package kvmuf.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the reference kernel is built from, and how its seeded bugs are named and booted. */
class ReferenceKernelTest {
  @TempDir Path dir;

  @Test
  void theReferenceKernelIsOurSeriesOnDebian73() {
    BuiltKernels.Inputs in = ReferenceKernel.inputs(BuiltKernelsTest.SCRIPTS);
    assertThat(in.base()).isEqualTo("7.3");
    assertThat(in.series()).isEqualTo(BuiltKernelsTest.SCRIPTS.resolve("patches"));
    assertThat(in.effectiveFragment()).isEqualTo(BuiltKernelsTest.SCRIPTS.resolve("config.fragment"));
    assertThat(BuiltKernels.seriesPatches(in.series())).hasSize(5).allMatch(p -> p.endsWith(".patch"));
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
