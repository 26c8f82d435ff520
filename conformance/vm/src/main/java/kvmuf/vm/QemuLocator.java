package kvmuf.vm;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds {@code qemu-system-x86_64}: {@code $KVMUF_QEMU} (or the {@code kvmuf.qemu} property) when
 * set, else the PATH. Missing QEMU is an environment problem (exit 3) with the install command.
 */
public final class QemuLocator {
  static final String BINARY = "qemu-system-x86_64";
  static final String MISSING = "QEMU not found: apt-get install qemu-system-x86";

  private QemuLocator() {}

  public static Path locate() {
    return locate(System.getProperty("kvmuf.qemu", System.getenv("KVMUF_QEMU")), System.getenv("PATH"));
  }

  static Path locate(String override, String pathVar) {
    if (override != null && !override.isBlank()) {
      Path p = Path.of(override);
      if (Files.isExecutable(p) && !Files.isDirectory(p)) {
        return p;
      }
      throw VmException.environment(MISSING + " (KVMUF_QEMU=" + override + " is not an executable)");
    }
    if (pathVar != null) {
      for (String dir : pathVar.split(File.pathSeparator)) {
        if (dir.isEmpty()) {
          continue;
        }
        Path p = Path.of(dir, BINARY);
        if (Files.isExecutable(p) && !Files.isDirectory(p)) {
          return p;
        }
      }
    }
    throw VmException.environment(MISSING);
  }

  /**
   * Whether QEMU can use hardware acceleration here: /dev/kvm opens read-write and the CPU shows
   * vmx or svm. The second check matters: a PVM host (and this project's build machines) has a
   * /dev/kvm that opens but runs QEMU's guest only until the first instruction it cannot emulate
   * ("KVM internal error"), with no vmx/svm flag in /proc/cpuinfo. Without hardware KVM, TCG
   * emulates everything, and nested KVM still works inside (-cpu max exposes SVM).
   */
  public static boolean hostKvmUsable() {
    Path kvm = Path.of("/dev/kvm");
    if (!Files.exists(kvm)) {
      return false;
    }
    try (var ch = java.nio.channels.FileChannel.open(kvm, java.nio.file.StandardOpenOption.READ,
        java.nio.file.StandardOpenOption.WRITE)) {
      return hasVirtualizationFlag(Files.readAllLines(Path.of("/proc/cpuinfo")));
    } catch (Exception e) {
      return false;
    }
  }

  static boolean hasVirtualizationFlag(java.util.List<String> cpuinfo) {
    return cpuinfo.stream()
        .filter(l -> l.startsWith("flags"))
        .anyMatch(l -> java.util.Arrays.asList(l.substring(l.indexOf(':') + 1).trim().split("\\s+"))
            .stream().anyMatch(f -> f.equals("vmx") || f.equals("svm")));
  }
}
