package kvmuf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The adapter's packages form layers, as in rust-vmm kvm-ioctls: {@code uapi} and {@code sys} import nothing of
 * the kit, the x86_64 UAPI sits on {@code uapi}, the fd kinds on those, the guest agent on top. A source scan
 * (imports, static imports and fully qualified names in code; comments and strings do not count) of
 * src/main/java: the compiled classes would not show a constant such as a syscall number, which javac copies
 * into its user. A package missing from {@link #ALLOWED} fails too, so a new one is placed on purpose.
 *
 * <p>The vm-must-not-import-cli rule of conformance/ needs no test here: conformance/vm does not depend on
 * conformance/cli in its pom (cli depends on vm), so such an import does not compile.
 */
class PackageLayeringTest {
  /** For each adapter package, the kit packages it may import (the README's table says why). */
  static final Map<String, Set<String>> ALLOWED =
      Map.of(
          "kvmuf.sys", Set.of(),
          "kvmuf.uapi", Set.of(),
          "kvmuf.x86", Set.of("kvmuf.uapi", "kvmuf.sys"),
          "kvmuf.uffd", Set.of("kvmuf.uapi", "kvmuf.sys", "kvmuf.x86"),
          "kvmuf.gmem", Set.of("kvmuf.sys"),
          "kvmuf.kvm", Set.of("kvmuf.uapi", "kvmuf.sys", "kvmuf.x86", "kvmuf.uffd", "kvmuf.gmem"),
          "kvmuf.x86.guest", Set.of("kvmuf.kvm", "kvmuf.x86", "kvmuf.sys"));

  private static final Pattern PACKAGE = Pattern.compile("^\\s*package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
  /** kvmuf.a.b.Type or kvmuf.a.b.* : the package is the lower-case part before the first capital or '*'. */
  private static final Pattern KIT_NAME = Pattern.compile("\\bkvmuf((?:\\.[a-z_][a-z0-9_]*)+)\\.(?:[A-Z]|\\*)");
  /** Block and line comments, string and char literals (text blocks included), in one pass. */
  private static final Pattern NOT_CODE =
      Pattern.compile("/\\*.*?\\*/|//[^\\n]*|\"\"\".*?\"\"\"|\"(?:\\\\.|[^\"\\\\\\n])*\"|'(?:\\\\.|[^'\\\\\\n])+'", Pattern.DOTALL);

  /** One source file's forbidden uses of other kit packages: "path: imports pkg (allowed: ...)". */
  static List<String> violations(String file, String source) {
    String code = NOT_CODE.matcher(source).replaceAll(" ");
    Matcher pm = PACKAGE.matcher(code);
    if (!pm.find()) return List.of(file + ": no package declaration");
    String pkg = pm.group(1);
    Set<String> allowed = ALLOWED.get(pkg);
    if (allowed == null) return List.of(file + ": package " + pkg + " has no layering rule (add it to ALLOWED and the README)");
    Set<String> used = new LinkedHashSet<>();
    Matcher m = KIT_NAME.matcher(code);
    while (m.find()) used.add("kvmuf" + m.group(1));
    List<String> out = new ArrayList<>();
    for (String u : used) {
      if (!u.equals(pkg) && !allowed.contains(u)) {
        out.add(file + ": " + pkg + " uses " + u + " (allowed: " + new TreeSet<>(allowed) + ")");
      }
    }
    return out;
  }

  static Path sources() {
    for (String dir : List.of("src/main/java", "kernel-adapter/src/main/java")) {
      Path p = Path.of(dir);
      if (Files.isDirectory(p.resolve("kvmuf/sys"))) return p;
    }
    throw new IllegalStateException(
        "kernel-adapter sources not found from " + Path.of("").toAbsolutePath() + "; run from the module or the repository root");
  }

  @Test
  void noAdapterPackageImportsALayerAboveIt() throws IOException {
    Path root = sources();
    List<String> found = new ArrayList<>();
    int files;
    try (Stream<Path> s = Files.walk(root)) {
      List<Path> java = s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
      files = java.size();
      for (Path p : java) found.addAll(violations(root.relativize(p).toString(), read(p)));
    }
    assertThat(files).as("source files scanned").isGreaterThan(30);
    assertThat(found).as("layering violations").isEmpty();
  }

  @Test
  void theScanNamesTheFileThatBreaksARule() {
    String sysImportingKvm = "package kvmuf.sys;\n\nimport kvmuf.kvm.Vm;\n\nfinal class Bad {}\n";
    assertThat(violations("kvmuf/sys/Bad.java", sysImportingKvm))
        .containsExactly("kvmuf/sys/Bad.java: kvmuf.sys uses kvmuf.kvm (allowed: [])");
    String staticImport = "package kvmuf.sys;\nimport static kvmuf.uapi.KvmUapi.KVM_RUN;\nclass A {}\n";
    assertThat(violations("A.java", staticImport)).singleElement().asString().contains("uses kvmuf.uapi");
    String qualified = "package kvmuf.uapi;\nclass B { long n = kvmuf.x86.Syscalls.USERFAULTFD; }\n";
    assertThat(violations("B.java", qualified)).singleElement().asString().contains("kvmuf.uapi uses kvmuf.x86");
    String wildcard = "package kvmuf.gmem;\nimport kvmuf.uffd.*;\nclass C {}\n";
    assertThat(violations("C.java", wildcard)).singleElement().asString().contains("uses kvmuf.uffd");
    String guestUp = "package kvmuf.kvm;\nimport kvmuf.x86.guest.GuestAgent;\nclass D {}\n";
    assertThat(violations("D.java", guestUp)).singleElement().asString().contains("kvmuf.kvm uses kvmuf.x86.guest");
  }

  @Test
  void commentsStringsAndAllowedImportsAreNotViolations() {
    String ok =
        "package kvmuf.kvm;\n/** See {@link kvmuf.x86.guest.GuestAgent}. */\nimport kvmuf.uapi.KvmUapi;\n"
            + "class E { String s = \"kvmuf.x86.guest.GuestAgent\"; // kvmuf.x86.guest.X\n}\n";
    assertThat(violations("E.java", ok)).isEmpty();
    assertThat(violations("F.java", "package kvmuf.newpkg;\nclass F {}\n")).singleElement().asString().contains("no layering rule");
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
