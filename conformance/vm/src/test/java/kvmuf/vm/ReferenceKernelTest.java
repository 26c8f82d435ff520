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
    assertThat(r.appendLine()).containsExactly("console=ttyS0", "quiet", "panic=-1", "no_timer_check", "kvm.userfault_mutant=NoBitmapCheck");
  }

  @Test
  void mutantsAreSelectedByExactIdOrAll() {
    assertThat(KernelMutant.select("ALL")).hasSize(14).contains(KernelMutant.RecoverWithDirtyLog, KernelMutant.NoZapOnReenable);
    assertThat(KernelMutant.select("WrongExitFlags")).containsExactly(KernelMutant.WrongExitFlags);
    assertThatThrownBy(() -> KernelMutant.select("wrongexitflags")).hasMessageContaining("valid: ALL, NoZapOnEnable");
  }

  /**
   * The kit's ids are the ones the kernel parses (patch 0004's name table, whose order is the enum's) and the
   * ones kernel-reference/README.md documents: a mutant added on one side only would boot as "none".
   */
  @Test
  void everyMutantIsOneTheReferenceKernelKnowsAndDocuments() throws java.io.IOException {
    java.nio.file.Path patches = BuiltKernelsTest.SCRIPTS.resolve("patches");
    String p0004;
    try (var files = java.nio.file.Files.list(patches)) {
      p0004 = java.nio.file.Files.readString(files.filter(f -> f.getFileName().toString().startsWith("0004-")).findFirst().orElseThrow());
    }
    java.util.List<String> kernelIds = new java.util.ArrayList<>();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^\\+\\s*\\[KVM_UF_MUTANT_\\w+\\]\\s*= \"(\\w+)\",$").matcher(p0004);
    while (m.find()) kernelIds.add(m.group(1));
    java.util.List<String> kitIds = new java.util.ArrayList<>(java.util.List.of("none"));
    for (KernelMutant k : KernelMutant.values()) kitIds.add(k.name());
    assertThat(kernelIds).containsExactlyElementsOf(kitIds);
    String readme = java.nio.file.Files.readString(BuiltKernelsTest.SCRIPTS.resolve("README.md"));
    for (KernelMutant k : KernelMutant.values()) assertThat(readme).contains("| `" + k.name() + "` |");
  }
}
