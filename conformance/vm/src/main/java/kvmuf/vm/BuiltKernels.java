package kvmuf.vm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code kvmuf kernel build}: a quilt-style patch series applied to Debian's kernel source of one base (7.3 or
 * 6.12) with a config fragment, built by {@code kernel-reference/build.sh} and cached under {@code
 * CACHE/built/KEY/} (bzImage, build-info.txt, inputs.txt). KEY hashes the base, the source version apt offers,
 * the build scripts, the fragment, the series file and every patch it names, so the same inputs are built once
 * whoever asks; {@code CACHE/built/names/NAME} points a name at a KEY ({@code --kernel built:NAME}).
 */
public final class BuiltKernels {
  public static final String PREFIX = "built:";
  public static final List<String> BASES = List.of("7.3", "6.12");
  /** Exit status of build.sh when the series does not apply (its stderr then names patch and file). */
  static final int SERIES_DOES_NOT_APPLY = 3;
  private static final String PROGRESS = "kernel-reference:";
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  private BuiltKernels() {}

  /**
   * What a build is made of; {@code fragment} empty means build.sh's default for the base. {@code sourceTree}
   * replaces the Debian package by an unpacked tree (keyed by its path, not its content; tests use a small one).
   */
  public record Inputs(Path scripts, String base, Path series, Optional<Path> fragment, Optional<Path> sourceTree) {
    public Inputs {
      if (!BASES.contains(base)) throw VmException.usage("--base " + base + ": expected one of " + BASES);
      if (!Files.isRegularFile(series.resolve("series"))) {
        throw VmException.usage("--series " + series + ": no series file in it (a quilt-style folder: series + patches)");
      }
      fragment.ifPresent(f -> {
        if (!Files.isRegularFile(f)) throw VmException.usage("--config-fragment " + f + ": not a file");
      });
      sourceTree.ifPresent(t -> {
        if (!Files.isDirectory(t)) throw VmException.usage("--source-tree " + t + ": not a folder");
      });
    }

    Path effectiveFragment() {
      return fragment.orElse(scripts.resolve(base.equals("7.3") ? "config.fragment" : "config-" + base + ".fragment"));
    }
  }

  /** One cached build, as {@code kernel list} shows it. */
  public record Entry(String key, List<String> names, Map<String, String> info, Path image) {}

  /** The patch names of a quilt series file, in order ('#' comments, an optional -pN after a name). */
  public static List<String> seriesPatches(Path seriesDir) {
    List<String> out = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(seriesDir.resolve("series"))) {
        int hash = line.indexOf('#');
        String l = (hash >= 0 ? line.substring(0, hash) : line).strip();
        if (l.isEmpty()) continue;
        String name = l.split("\\s+")[0];
        if (!Files.isRegularFile(seriesDir.resolve(name))) {
          throw VmException.usage("series " + seriesDir.resolve("series") + " names missing patch " + name);
        }
        out.add(name);
      }
    } catch (IOException e) {
      throw VmException.environment("cannot read " + seriesDir.resolve("series") + ": " + e.getMessage());
    }
    if (out.isEmpty()) throw VmException.usage("series " + seriesDir.resolve("series") + " names no patch");
    return out;
  }

  /** The cache key of a build of {@code in} on source version {@code version}. */
  static String key(Inputs in, String version) {
    Cache.Key k = new Cache.Key().add("kvmuf-built-kernel-1").add(in.base()).add(version);
    for (String script : List.of("build.sh", "debian-apt.sh")) k.add(script).addFile(in.scripts().resolve(script));
    k.add("fragment").addFile(in.effectiveFragment());
    k.add("series").addFile(in.series().resolve("series"));
    for (String p : seriesPatches(in.series())) k.add(p).addFile(in.series().resolve(p));
    return k.hex();
  }

  /** The Debian source version the build would fetch now: apt's candidate (trixie-backports for 7.3). */
  static String sourceVersion(Inputs in) {
    if (in.sourceTree().isPresent()) return "tree:" + in.sourceTree().get().toAbsolutePath();
    Path scripts = in.scripts();
    String base = in.base();
    String pkg = "linux-source-" + base;
    if (base.equals("7.3")) {
      List<String> out = Tools.run(List.of("bash", scripts.resolve("debian-apt.sh").toString(), "trixie-backports", "version", pkg), null);
      return out.getLast().strip();
    }
    for (String line : Tools.run(List.of("apt-cache", "show", "--no-all-versions", pkg), null)) {
      if (line.startsWith("Version:")) return line.substring("Version:".length()).strip();
    }
    throw VmException.environment("apt knows no " + pkg + "; run 'apt-get update' (Debian bookworm-backports or trixie)");
  }

  static Path dir(Path cache) {
    return cache.resolve("built");
  }

  /** Builds (or finds cached) and names it; returns the kernel to boot. */
  public static Kernel build(Inputs in, String name, Path cache, Progress progress) {
    checkName(name);
    String version = sourceVersion(in);
    String key = key(in, version);
    Path entry = dir(cache).resolve(key);
    Path image = entry.resolve("bzImage");
    String label = name + " (linux-source-" + in.base() + " " + version + " + " + in.series() + ", " + key.substring(0, 12) + ")";
    if (Files.isRegularFile(image)) progress.say("using cached kernel " + label);
    else run(in, entry, progress, label);
    try {
      Files.createDirectories(dir(cache).resolve("names"));
      Files.writeString(dir(cache).resolve("names").resolve(name), key + "\n");
    } catch (IOException e) {
      throw VmException.environment("cannot name the build " + name + ": " + e.getMessage());
    }
    return new Kernel(image, Optional.empty(), label);
  }

  /** {@code --kernel built:NAME}. */
  public static Kernel resolve(String spec, Path cache) {
    String name = spec.substring(PREFIX.length());
    checkName(name);
    Path ref = dir(cache).resolve("names").resolve(name);
    try {
      if (!Files.isRegularFile(ref)) {
        throw VmException.environment("--kernel " + spec + ": no kernel built under that name (kvmuf kernel build --name "
            + name + " ...; kvmuf kernel list shows what is cached)");
      }
      String key = Files.readString(ref).strip();
      Path image = dir(cache).resolve(key).resolve("bzImage");
      if (!Files.isRegularFile(image)) {
        throw VmException.environment("--kernel " + spec + ": its build " + key + " is no longer cached; build it again");
      }
      return new Kernel(image, Optional.empty(), name + " (" + key.substring(0, 12) + ")");
    } catch (IOException e) {
      throw VmException.environment("cannot read " + ref + ": " + e.getMessage());
    }
  }

  /** Every cached build, with the names pointing at it and its build-info.txt. */
  public static List<Entry> list(Path cache) {
    Path d = dir(cache);
    if (!Files.isDirectory(d)) return List.of();
    Map<String, List<String>> names = new LinkedHashMap<>();
    try {
      if (Files.isDirectory(d.resolve("names"))) {
        try (Stream<Path> s = Files.list(d.resolve("names"))) {
          for (Path n : s.sorted().toList()) names.computeIfAbsent(Files.readString(n).strip(), k -> new ArrayList<>()).add(n.getFileName().toString());
        }
      }
      List<Entry> out = new ArrayList<>();
      try (Stream<Path> s = Files.list(d)) {
        for (Path e : s.filter(p -> Files.isRegularFile(p.resolve("bzImage"))).sorted().toList()) {
          String key = e.getFileName().toString();
          out.add(new Entry(key, names.getOrDefault(key, List.of()), info(e.resolve("build-info.txt")), e.resolve("bzImage")));
        }
      }
      return out;
    } catch (IOException e) {
      throw VmException.environment("cannot read " + d + ": " + e.getMessage());
    }
  }

  /** build-info.txt's "key: value" lines (the per-patch lines are folded into "patches"). */
  static Map<String, String> info(Path f) throws IOException {
    Map<String, String> m = new LinkedHashMap<>();
    if (!Files.isRegularFile(f)) return m;
    List<String> patches = new ArrayList<>();
    for (String line : Files.readAllLines(f)) {
      if (line.startsWith("  ")) {
        String[] parts = line.strip().split("\\s+", 2);
        patches.add(parts.length == 2 ? parts[1] : parts[0]);
      } else if (line.contains(": ")) {
        m.put(line.substring(0, line.indexOf(": ")), line.substring(line.indexOf(": ") + 2));
      }
    }
    if (!patches.isEmpty()) m.put("patches", String.join(" ", patches));
    return m;
  }

  static void checkName(String name) {
    if (!NAME.matcher(name).matches()) {
      throw VmException.usage("kernel name '" + name + "': letters, digits, '.', '_', '-' (at most 64, not starting with a dot or dash)");
    }
  }

  private static void run(Inputs in, Path entry, Progress progress, String label) {
    progress.say("building kernel " + label + ": download, patch, configure, make bzImage (8-15 minutes on 2 shared cores)");
    Path work = entry.resolveSibling(entry.getFileName() + ".building");
    Path log = entry.resolveSibling(entry.getFileName() + ".build.log");
    Deque<String> tail = new ArrayDeque<>();
    String error = null;
    try {
      Tools.deleteTree(work);
      Files.createDirectories(work);
      long t0 = System.nanoTime();
      List<String> cmd = new ArrayList<>(List.of("bash", in.scripts().resolve("build.sh").toString(),
          "--base", in.base(), "--series", in.series().toString(), "--config-fragment", in.effectiveFragment().toString()));
      in.sourceTree().ifPresent(t -> cmd.addAll(List.of("--source-tree", t.toString())));
      cmd.add(work.toString());
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
          var w = Files.newBufferedWriter(log)) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          w.write(line);
          w.newLine();
          w.flush(); // the log is where a user looks during a long build
          // The first ERROR line becomes the one-line failure itself; it is not also progress.
          if (line.startsWith(PROGRESS + " ERROR: ")) {
            if (error == null) error = line.substring((PROGRESS + " ERROR: ").length());
          } else if (line.startsWith(PROGRESS)) {
            progress.say(line);
          }
          tail.addLast(line);
          if (tail.size() > 15) tail.removeFirst();
        }
      }
      int rc = p.waitFor();
      if (rc == SERIES_DOES_NOT_APPLY) {
        Tools.deleteTree(work);
        throw VmException.environment(error != null ? error : "the series does not apply (log " + log + ")");
      }
      if (rc != 0 || !Files.isRegularFile(work.resolve("bzImage"))) {
        throw VmException.environment("building kernel " + label + " failed (exit " + rc + "; log " + log + "): "
            + (error != null ? error : String.join(" | ", tail)));
      }
      Files.createDirectories(entry);
      for (String f : List.of("bzImage", "build-info.txt", "config")) {
        if (Files.exists(work.resolve(f))) Files.copy(work.resolve(f), entry.resolve(f), StandardCopyOption.REPLACE_EXISTING);
      }
      Files.writeString(entry.resolve("inputs.txt"), String.join("\n", "base: " + in.base(), "series: " + in.series(),
          "fragment: " + in.effectiveFragment(), "scripts: " + in.scripts()) + "\n");
      Tools.deleteTree(work); // the source tree is 1+ GB; the image is what is kept
      progress.say(String.format("kernel built in %.0f s: %s", (System.nanoTime() - t0) / 1e9, entry.resolve("bzImage")));
    } catch (IOException e) {
      throw VmException.environment("building kernel " + label + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw VmException.environment("interrupted while building kernel " + label);
    }
  }
}
