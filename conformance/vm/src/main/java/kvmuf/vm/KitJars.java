package kvmuf.vm;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The kit's own jars as built by Maven: {@code conformance/cli/target/kvmuf.jar} and its runtime
 * dependencies in {@code conformance/cli/target/lib/} (the jar's manifest Class-Path points there; this
 * module's own jar is one of them). Found from where this class was loaded, so it works from any working
 * directory: from {@code lib/kvmuf-vm-*.jar} the main jar is {@code ../kvmuf.jar}; from the reactor's class
 * folder {@code conformance/vm/target/classes} (tests) it is the jar the cli module packaged.
 */
public final class KitJars {
  private KitJars() {}

  /** The main jar; from a class folder (tests, IDE) the jar Maven packaged beside it. */
  public static Path mainJar() {
    Path here;
    try {
      here = Path.of(KitJars.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException | NullPointerException e) {
      throw VmException.environment("cannot tell where the kit's jar is");
    }
    // Classes (an IDE or a module's own tests), the kit's lib/ folder (cli/target/lib/kvmuf-vm.jar), or the vm
    // module's own packaged jar in a reactor build (conformance/vm/target/*.jar, which the cli module's tests see).
    Path jar = Files.isDirectory(here)
        ? here.getParent().getParent().resolveSibling("cli").resolve("target").resolve("kvmuf.jar")
        : here.getParent().resolveSibling("kvmuf.jar");
    if (!Files.isDirectory(here) && !Files.isRegularFile(jar) && here.getParent().getFileName().toString().equals("target")) {
      jar = here.getParent().getParent().resolveSibling("cli").resolve("target").resolve("kvmuf.jar");
    }
    if (!Files.isRegularFile(jar)) {
      throw VmException.environment("the kit's jar is not built (" + jar + "): run ./kvmuf once or mvn package");
    }
    return jar;
  }

  /** The checkout the kit was built in: conformance/cli/target/kvmuf.jar -> the repository root. */
  public static Path checkoutRoot() {
    return mainJar().toAbsolutePath().getParent().getParent().getParent().getParent();
  }

  /** kvmuf.jar followed by lib/*.jar, sorted. */
  public static List<Path> all() {
    Path main = mainJar();
    Path lib = main.resolveSibling("lib");
    try (Stream<Path> s = Files.isDirectory(lib) ? Files.list(lib) : Stream.empty()) {
      return Stream.concat(Stream.of(main), s.filter(p -> p.toString().endsWith(".jar")).sorted()).toList();
    } catch (IOException e) {
      throw VmException.environment("cannot list " + lib + ": " + e.getMessage());
    }
  }
}
