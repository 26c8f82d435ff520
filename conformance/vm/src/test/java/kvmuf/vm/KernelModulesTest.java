package kvmuf.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelModulesTest {
  // The shape of a real modules.dep: kvm-amd needs kvm, kvm needs irqbypass (6.12).
  static final List<String> DEP = List.of(
      "kernel/arch/x86/kvm/kvm-intel.ko.xz: kernel/arch/x86/kvm/kvm.ko.xz kernel/virt/lib/irqbypass.ko.xz",
      "kernel/arch/x86/kvm/kvm-amd.ko.xz: kernel/arch/x86/kvm/kvm.ko.xz kernel/virt/lib/irqbypass.ko.xz",
      "kernel/arch/x86/kvm/kvm.ko.xz: kernel/virt/lib/irqbypass.ko.xz",
      "kernel/virt/lib/irqbypass.ko.xz:",
      "kernel/drivers/ptp/ptp_kvm.ko.xz:");

  private static KernelModules fromDep(List<String> lines, Set<String> builtin) {
    Map<String, String> paths = new LinkedHashMap<>();
    Map<String, List<String>> deps = KernelModules.parseModulesDep(lines, paths);
    return new KernelModules(paths, n -> deps.getOrDefault(n, List.of()), builtin);
  }

  @Test
  void dependenciesLoadFirstAndOnce() {
    assertThat(fromDep(DEP, Set.of()).loadOrder(List.of("kvm_amd", "kvm_intel"))).containsExactly(
        "kernel/virt/lib/irqbypass.ko.xz", "kernel/arch/x86/kvm/kvm.ko.xz",
        "kernel/arch/x86/kvm/kvm-amd.ko.xz", "kernel/arch/x86/kvm/kvm-intel.ko.xz");
  }

  @Test
  void builtInModulesAreNotLoaded() {
    assertThat(fromDep(DEP, Set.of("irqbypass")).loadOrder(List.of("kvm-amd"))).containsExactly(
        "kernel/arch/x86/kvm/kvm.ko.xz", "kernel/arch/x86/kvm/kvm-amd.ko.xz");
  }

  @Test
  void wantedModulesTheTreeLacksAreSkipped() {
    assertThat(fromDep(List.of("kernel/virt/lib/irqbypass.ko:"), Set.of()).loadOrder(List.of("kvm_amd"))).isEmpty();
  }

  @Test
  void aMissingDependencyIsAnError() {
    assertThatThrownBy(() -> fromDep(List.of("kvm-amd.ko: kvm.ko"), Set.of()).loadOrder(List.of("kvm_amd")))
        .hasMessageContaining("kvm_amd needs module kvm");
  }

  @Test
  void aCycleIsAnError() {
    assertThatThrownBy(() -> fromDep(List.of("a.ko: b.ko", "b.ko: a.ko"), Set.of()).loadOrder(List.of("a")))
        .hasMessageContaining("cycle");
  }

  @Test
  void namesFoldDashesAndDropSuffixes() {
    assertThat(KernelModules.name("kernel/arch/x86/kvm/kvm-amd.ko.xz")).isEqualTo("kvm_amd");
    assertThat(KernelModules.name("irqbypass.ko")).isEqualTo("irqbypass");
  }

  /** A tree as a Debian package ships it: no modules.dep, so .modinfo depends= decides. */
  @Test
  void withoutModulesDepTheModinfoDependsFieldDecides(@TempDir Path tree) throws Exception {
    Files.createDirectories(tree.resolve("kernel/kvm"));
    Files.write(tree.resolve("kernel/kvm/kvm-amd.ko"), elfWithModinfo("license=GPL", "depends=kvm", "name=kvm_amd"));
    Files.write(tree.resolve("kernel/kvm/kvm.ko"), elfWithModinfo("depends=irqbypass", "name=kvm"));
    Files.write(tree.resolve("kernel/kvm/irqbypass.ko"), elfWithModinfo("depends=", "name=irqbypass"));
    Files.writeString(tree.resolve("modules.builtin"), "");
    KernelModules m = KernelModules.open(tree, KernelModules::decompress);
    assertThat(m.loadOrder(List.of("kvm_amd", "kvm_intel"))).containsExactly(
        "kernel/kvm/irqbypass.ko", "kernel/kvm/kvm.ko", "kernel/kvm/kvm-amd.ko");
  }

  @Test
  void modinfoReadsTheSectionByName() {
    byte[] elf = elfWithModinfo("alias=x", "depends=kvm,irqbypass", "vermagic=6.12");
    assertThat(ModInfo.depends(elf)).containsExactly("kvm", "irqbypass");
    assertThat(ModInfo.value(elf, "vermagic")).contains("6.12");
    assertThat(ModInfo.depends(elfWithModinfo("name=x"))).isEmpty();
  }

  @Test
  void modinfoRejectsNonElf() {
    assertThatThrownBy(() -> ModInfo.depends(new byte[100])).isInstanceOf(IllegalArgumentException.class);
  }

  /**
   * A minimal ELF64 object: a decoy section first (so the reader must look names up), then
   * .modinfo, then the section-name table, then the section headers.
   */
  static byte[] elfWithModinfo(String... fields) {
    byte[] decoy = "depends=WRONG\0".getBytes(StandardCharsets.UTF_8);
    StringBuilder mi = new StringBuilder();
    for (String f : fields) {
      mi.append(f).append('\0');
    }
    byte[] modinfo = mi.toString().getBytes(StandardCharsets.UTF_8);
    byte[] shstr = "\0.decoy\0.modinfo\0.shstrtab\0".getBytes(StandardCharsets.UTF_8);
    int decoyOff = 64, modOff = decoyOff + decoy.length, strOff = modOff + modinfo.length;
    int shoff = (strOff + shstr.length + 7) & ~7;
    int shnum = 4;
    ByteBuffer b = ByteBuffer.allocate(shoff + shnum * 64).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0, 0x464c457f).put(4, (byte) 2).put(5, (byte) 1).put(6, (byte) 1);
    b.putShort(16, (short) 1).putShort(18, (short) 62);
    b.putLong(0x28, shoff).putShort(0x34, (short) 64).putShort(0x3a, (short) 64)
        .putShort(0x3c, (short) shnum).putShort(0x3e, (short) 3);
    b.put(decoyOff, decoy).put(modOff, modinfo).put(strOff, shstr);
    section(b, shoff + 64, 1, decoyOff, decoy.length);
    section(b, shoff + 128, 8, modOff, modinfo.length);
    section(b, shoff + 192, 17, strOff, shstr.length);
    return b.array();
  }

  private static void section(ByteBuffer b, int at, int name, int off, int size) {
    b.putInt(at, name).putInt(at + 4, 1).putLong(at + 0x18, off).putLong(at + 0x20, size);
  }
}
