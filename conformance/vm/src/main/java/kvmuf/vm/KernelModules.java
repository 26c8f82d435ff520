package kvmuf.vm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The modules of one kernel (a {@code lib/modules/VERSION} tree) and the order to load them in.
 *
 * <p>Dependencies come from the tree's own metadata: {@code modules.dep} where depmod has run (a
 * user's {@code make modules_install}), otherwise each module's {@code .modinfo depends=} field
 * (a Debian package as downloaded). Nothing is hard-coded: asking for kvm-amd pulls kvm and
 * irqbypass because the modules say so.
 */
public final class KernelModules {
  /** Module name (dashes folded to underscores, as the kernel does) to path relative to the tree. */
  private final Map<String, String> paths;
  private final Function<String, List<String>> depends;
  private final Set<String> builtin;

  KernelModules(
      Map<String, String> paths, Function<String, List<String>> depends, Set<String> builtin) {
    this.paths = paths;
    this.depends = depends;
    this.builtin = builtin;
  }

  /** Indexes a modules tree; {@code decompress} turns a module file into its ELF bytes. */
  public static KernelModules open(Path tree, Function<Path, byte[]> decompress) throws IOException {
    Set<String> builtin = new LinkedHashSet<>();
    Path builtinFile = tree.resolve("modules.builtin");
    if (Files.exists(builtinFile)) {
      for (String line : Files.readAllLines(builtinFile)) {
        if (!line.isBlank()) {
          builtin.add(name(line.strip()));
        }
      }
    }
    Path dep = tree.resolve("modules.dep");
    if (Files.exists(dep)) {
      Map<String, String> paths = new LinkedHashMap<>();
      Map<String, List<String>> deps = parseModulesDep(Files.readAllLines(dep), paths);
      return new KernelModules(paths, n -> deps.getOrDefault(n, List.of()), builtin);
    }
    Map<String, String> paths = new LinkedHashMap<>();
    try (Stream<Path> files = Files.walk(tree)) {
      files
          .filter(p -> isModuleFile(p.getFileName().toString()))
          .forEach(p -> paths.putIfAbsent(name(p.getFileName().toString()), tree.relativize(p).toString()));
    }
    return new KernelModules(
        paths, n -> ModInfo.depends(decompress.apply(tree.resolve(paths.get(n)))), builtin);
  }

  /**
   * Parses modules.dep ({@code kernel/x/kvm-amd.ko.xz: kernel/x/kvm.ko.xz kernel/y/irqbypass.ko.xz}),
   * filling {@code paths}; returns each module's dependencies by name.
   */
  static Map<String, List<String>> parseModulesDep(List<String> lines, Map<String, String> paths) {
    Map<String, List<String>> deps = new LinkedHashMap<>();
    for (String line : lines) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String module = line.substring(0, colon).strip();
      paths.put(name(module), module);
      List<String> d = new ArrayList<>();
      for (String p : line.substring(colon + 1).strip().split("\\s+")) {
        if (!p.isEmpty()) {
          d.add(name(p));
        }
      }
      deps.put(name(module), d);
    }
    return deps;
  }

  /**
   * The files to insmod, dependencies first, for the wanted modules that exist in this tree.
   * Modules built into the kernel, and wanted modules the tree lacks, are left out: the guest
   * loads what it can and the run reports what it got.
   */
  public List<String> loadOrder(List<String> wanted) {
    LinkedHashSet<String> order = new LinkedHashSet<>();
    for (String w : wanted) {
      String n = name(w);
      if (paths.containsKey(n) && !builtin.contains(n)) {
        visit(n, order, new LinkedHashSet<>());
      }
    }
    return order.stream().map(paths::get).toList();
  }

  public Optional<String> path(String module) {
    return Optional.ofNullable(paths.get(name(module)));
  }

  private void visit(String n, Set<String> done, Set<String> onPath) {
    if (done.contains(n) || builtin.contains(n)) {
      return;
    }
    if (!onPath.add(n)) {
      throw new IllegalStateException("module dependency cycle through " + n);
    }
    for (String d : depends.apply(n)) {
      String dn = name(d);
      if (!paths.containsKey(dn) && !builtin.contains(dn)) {
        throw new IllegalStateException(n + " needs module " + dn + ", which the tree lacks");
      }
      visit(dn, done, onPath);
    }
    onPath.remove(n);
    done.add(n);
  }

  static boolean isModuleFile(String file) {
    return file.endsWith(".ko") || file.endsWith(".ko.xz") || file.endsWith(".ko.gz")
        || file.endsWith(".ko.zst");
  }

  /** The kernel's module name for a path or file name: basename, no .ko*, dashes as underscores. */
  static String name(String pathOrName) {
    String base = pathOrName.substring(pathOrName.lastIndexOf('/') + 1);
    int ko = base.indexOf(".ko");
    if (ko >= 0) {
      base = base.substring(0, ko);
    }
    return base.replace('-', '_');
  }

  /** Decompresses a module file with the matching tool (xz, gzip, zstd), or reads it as is. */
  public static byte[] decompress(Path module) {
    String f = module.getFileName().toString();
    String tool = f.endsWith(".xz") ? "xz" : f.endsWith(".gz") ? "gzip" : f.endsWith(".zst") ? "zstd" : null;
    try {
      if (tool == null) {
        return Files.readAllBytes(module);
      }
      Process p = new ProcessBuilder(tool, "-dc", module.toString())
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
      byte[] out = p.getInputStream().readAllBytes();
      if (p.waitFor() != 0) {
        throw new IOException(tool + " -dc " + module + " failed (exit " + p.exitValue() + ")");
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot decompress " + module + " (is the '" + tool + "' tool installed?): " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
