package kvmuf.vm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * {@code --kernel reference}: our own KVM Userfault kernel (Debian's linux-source-6.12 plus the patch series
 * in {@code kernel-reference/}), built once by {@code kernel-reference/build.sh} and cached under
 * {@code CACHE/reference/KEY/bzImage}, where KEY hashes the source package version apt offers, the series,
 * every patch, the config fragment and the build script: a change to any of them builds anew, anything else
 * (the README) does not. KVM is built in, so the kernel boots without modules.
 */
public final class ReferenceKernel {
  public static final String NAME = "reference";
  static final String SOURCE_PACKAGE = "linux-source-6.12";
  /** Progress lines of the build script carry this prefix; the rest (make's output) goes to the build log. */
  private static final String PREFIX = "kernel-reference:";

  private ReferenceKernel() {}

  public static Kernel resolve(Path cache, Progress progress) {
    Path dir = sourceDir();
    String version = sourceVersion();
    Cache.Key key = new Cache.Key().add(SOURCE_PACKAGE).add(version);
    for (Path f : buildInputs(dir)) key.add(dir.relativize(f).toString()).addFile(f);
    String hex = key.hex(); // digest() resets the key: take it once
    Path entry = cache.resolve("reference").resolve(hex);
    Path image = entry.resolve("bzImage");
    String label = "reference kernel (" + SOURCE_PACKAGE + " " + version + " + kernel-reference/, " + hex + ")";
    if (!Files.isRegularFile(image)) build(dir, entry, progress, label);
    else progress.say("using cached " + label);
    return new Kernel(image, Optional.empty(), label);
  }

  /** The patch series folder: $KVMUF_KERNEL_REFERENCE, else kernel-reference/ of the checkout the kit's jar was built in. */
  static Path sourceDir() {
    String env = System.getenv("KVMUF_KERNEL_REFERENCE");
    Path dir = env != null && !env.isBlank() ? Path.of(env)
        : KitJars.checkoutRoot().resolve("kernel-reference");
    if (!Files.isRegularFile(dir.resolve("build.sh"))) {
      throw VmException.environment("--kernel reference: no build.sh in " + dir
          + " (run the kit from its checkout, or point $KVMUF_KERNEL_REFERENCE at the kernel-reference folder)");
    }
    return dir;
  }

  /** What the build reads: build.sh, config.fragment, patches/series and every patch. */
  static List<Path> buildInputs(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile)
          .filter(p -> !p.getFileName().toString().endsWith(".md"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw VmException.environment("cannot read " + dir + ": " + e.getMessage());
    }
  }

  /** The candidate version of linux-source-6.12 apt would download (the build fetches exactly what apt offers). */
  static String sourceVersion() {
    for (String line : Tools.run(List.of("apt-cache", "show", "--no-all-versions", SOURCE_PACKAGE), null)) {
      if (line.startsWith("Version:")) return line.substring("Version:".length()).strip();
    }
    throw VmException.environment("apt knows no " + SOURCE_PACKAGE + "; run 'apt-get update' (Debian bookworm-backports or trixie)");
  }

  private static void build(Path dir, Path entry, Progress progress, String label) {
    progress.say("building the " + label + ": download, patch, configure, make bzImage (about 5 minutes on 2 cores)");
    Path work = entry.resolveSibling(entry.getFileName() + ".building");
    Path log = entry.resolveSibling(entry.getFileName() + ".build.log");
    Deque<String> tail = new ArrayDeque<>();
    try {
      Tools.deleteTree(work);
      Files.createDirectories(work);
      long t0 = System.nanoTime();
      Process p = new ProcessBuilder("bash", dir.resolve("build.sh").toString(), work.toString())
          .redirectErrorStream(true).start();
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
          var w = Files.newBufferedWriter(log)) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          w.write(line);
          w.newLine();
          w.flush(); // the log is where a user looks during a 7-minute build
          if (line.startsWith(PREFIX)) progress.say(line);
          tail.addLast(line);
          if (tail.size() > 15) tail.removeFirst();
        }
      }
      int rc = p.waitFor();
      if (rc != 0 || !Files.isRegularFile(work.resolve("bzImage"))) {
        throw VmException.environment("building the reference kernel failed (exit " + rc + "; log " + log + "): "
            + String.join(" | ", tail));
      }
      Files.createDirectories(entry);
      for (String f : List.of("bzImage", "build-info.txt")) {
        if (Files.exists(work.resolve(f))) Files.copy(work.resolve(f), entry.resolve(f), StandardCopyOption.REPLACE_EXISTING);
      }
      Tools.deleteTree(work); // the source tree is 1+ GB; the image is what is kept
      progress.say(String.format("reference kernel built in %.0f s: %s", (System.nanoTime() - t0) / 1e9, entry.resolve("bzImage")));
    } catch (IOException e) {
      throw VmException.environment("building the reference kernel: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw VmException.environment("interrupted while building the reference kernel");
    }
  }
}
