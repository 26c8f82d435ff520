package kvmuf.vm;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import kvmuf.cli.KvmufException;

/**
 * The kit's own jars as built by Maven: {@code conformance/target/kvmuf.jar} and its runtime
 * dependencies in {@code conformance/target/lib/} (the jar's manifest Class-Path points there).
 * Found from where this class was loaded, so it works from any working directory.
 */
public final class KitJars {
  private KitJars() {}

  /** The main jar; from a class folder (tests, IDE) the jar Maven packaged beside it. */
  public static Path mainJar() {
    Path here;
    try {
      here = Path.of(KitJars.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException | NullPointerException e) {
      throw KvmufException.environment("cannot tell where the kit's jar is");
    }
    Path jar = Files.isDirectory(here) ? here.resolveSibling("kvmuf.jar") : here;
    if (!Files.isRegularFile(jar)) {
      throw KvmufException.environment("the kit's jar is not built (" + jar + "): run ./kvmuf once or mvn package");
    }
    return jar;
  }

  /** kvmuf.jar followed by lib/*.jar, sorted. */
  public static List<Path> all() {
    Path main = mainJar();
    Path lib = main.resolveSibling("lib");
    try (Stream<Path> s = Files.isDirectory(lib) ? Files.list(lib) : Stream.empty()) {
      return Stream.concat(Stream.of(main), s.filter(p -> p.toString().endsWith(".jar")).sorted()).toList();
    } catch (IOException e) {
      throw KvmufException.environment("cannot list " + lib + ": " + e.getMessage());
    }
  }
}
