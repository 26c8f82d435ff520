package kvmuf.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * A jlinked Java runtime holding just the JDK modules the guest's jars use, so the initramfs stays
 * small enough to unpack quickly under emulation.
 *
 * <p>The module list is computed, not written down: {@code jdeps --print-module-deps} over the
 * jars that go into the guest (the kit's, plus any test payload), so a new dependency that needs,
 * say, java.sql is picked up without anyone editing a list. Both results are cached by content.
 */
public final class JavaRuntime {
  /**
   * Modules jdeps cannot see because they are service providers found at run time: jdk.zipfs
   * provides the "jar" file system that the JUnit launcher (and any jar-reading code) asks for by
   * URI scheme.
   */
  static final List<String> ALWAYS = List.of("java.base", "jdk.zipfs");

  private JavaRuntime() {}

  /** The JDK running the kit; it must be a full JDK (with jlink and jdeps), not a jlinked runtime. */
  public static Path currentJdk() {
    Path home = Path.of(System.getProperty("java.home"));
    if (!Files.isExecutable(home.resolve("bin/jlink")) || !Files.isExecutable(home.resolve("bin/jdeps"))) {
      throw VmException.environment("the VM runner needs a full JDK 25 (jlink, jdeps); " + home
          + " has none: set JAVA_HOME to a JDK");
    }
    return home;
  }

  /** The JDK modules that {@code jars} (jar files or class folders) need, sorted. */
  public static List<String> modulesFor(Path jdk, List<Path> jars, Path cache, Progress progress)
      throws IOException {
    Cache.Key key = new Cache.Key().add("jdeps-v1").add(Runtime.version().toString());
    for (Path j : jars) {
      key.add(j.getFileName().toString());
      if (Files.isRegularFile(j)) {
        key.addFile(j);
      } else {
        try (var s = Files.walk(j)) {
          for (Path f : s.filter(Files::isRegularFile).sorted().toList()) {
            key.add(j.relativize(f).toString()).addFile(f);
          }
        }
      }
    }
    Path memo = cache.resolve("jdeps").resolve(key.hex());
    if (Files.exists(memo)) {
      return Files.readAllLines(memo);
    }
    progress.say("finding the JDK modules the guest needs (jdeps)");
    List<String> cmd = new ArrayList<>(List.of(jdk.resolve("bin/jdeps").toString(),
        "--print-module-deps", "--ignore-missing-deps", "-q", "--multi-release",
        Integer.toString(Runtime.version().feature())));
    jars.forEach(j -> cmd.add(j.toString()));
    List<String> out = Tools.run(cmd, null);
    TreeSet<String> modules = new TreeSet<>(ALWAYS);
    for (String line : out) {
      if (line.matches("[a-z0-9.,]+")) {
        modules.addAll(Arrays.asList(line.split(",")));
      }
    }
    List<String> result = List.copyOf(modules);
    Files.createDirectories(memo.getParent());
    Files.write(memo, result);
    return result;
  }

  /**
   * A jlinked runtime with {@code modules}: stripped of debug data, headers and man pages. With
   * {@code compress}, resources are zip-compressed (smaller, slightly slower to start); the guest
   * image is gzipped as a whole anyway, so the VM uses an uncompressed one.
   */
  public static Path jlink(Path jdk, List<String> modules, boolean compress, Path cache, Progress progress)
      throws IOException {
    String key = new Cache.Key().add("jlink-v2").add(jdk.toRealPath().toString())
        .add(Runtime.version().toString()).add(String.join(",", modules)).add(Boolean.toString(compress)).hex();
    Path dir = cache.resolve("runtime").resolve(key);
    if (Files.exists(dir.resolve("release"))) {
      return dir;
    }
    progress.say("linking a Java runtime with " + String.join(",", modules) + " (jlink)");
    Path tmp = cache.resolve("runtime").resolve(key + ".part");
    Tools.deleteTree(tmp);
    Files.createDirectories(tmp.getParent());
    List<String> cmd = new ArrayList<>(List.of(jdk.resolve("bin/jlink").toString(),
        "--add-modules", String.join(",", modules), "--strip-debug", "--no-header-files",
        "--no-man-pages", "--output", tmp.toString()));
    if (compress) {
      cmd.addAll(List.of("--compress", "zip-9"));
    } else {
      // A class-data-sharing archive of the runtime's classes: under emulation, loading and
      // verifying JDK classes is most of a JVM's start, and CDS maps them ready-made.
      cmd.add("--generate-cds-archive");
    }
    Tools.run(cmd, null);
    Tools.deleteTree(dir);
    Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    return dir;
  }
}
