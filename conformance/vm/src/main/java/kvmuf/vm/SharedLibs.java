package kvmuf.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The host's shared libraries (glibc and friends) that a jlinked runtime's executables and
 * libraries load, found with {@code ldd}. The guest gets them at the same paths, so the dynamic
 * loader path baked into {@code bin/java} resolves unchanged.
 *
 * <p>Libraries ldd reports as "not found" are skipped: they belong to parts of the JDK the kit
 * never loads (the X11 half of java.desktop).
 */
public final class SharedLibs {
  private static final Pattern RESOLVED = Pattern.compile("=>\\s+(/\\S+)\\s+\\(");
  private static final Pattern LOADER = Pattern.compile("^\\s*(/\\S+)\\s+\\(0x");
  /** Loaded with dlopen by glibc itself (thread cancellation unwinding), so ldd cannot see it. */
  static final List<String> DLOPENED = List.of("libgcc_s.so.1");

  private SharedLibs() {}

  public static List<Path> forRuntime(Path runtime) throws IOException {
    List<Path> elves = new ArrayList<>();
    try (Stream<Path> s = Files.walk(runtime)) {
      s.filter(Files::isRegularFile)
          .filter(p -> p.getFileName().toString().endsWith(".so") || p.getParent().endsWith("bin"))
          .forEach(elves::add);
    }
    TreeSet<String> libs = new TreeSet<>();
    for (Path elf : elves) {
      libs.addAll(parseLdd(lddOutput(elf)));
    }
    // The dlopened ones sit beside libc.
    libs.stream().filter(l -> l.endsWith("/libc.so.6")).findFirst().map(l -> Path.of(l).getParent())
        .ifPresent(dir -> DLOPENED.stream().map(dir::resolve).filter(Files::exists)
            .forEach(p -> libs.add(p.toString())));
    return libs.stream().map(Path::of).toList();
  }

  /** The absolute library paths in one ldd output (resolved libraries and the loader itself). */
  static List<String> parseLdd(List<String> lines) {
    List<String> out = new ArrayList<>();
    for (String line : lines) {
      Matcher m = RESOLVED.matcher(line);
      if (m.find()) {
        out.add(m.group(1));
        continue;
      }
      Matcher l = LOADER.matcher(line);
      if (l.find()) {
        out.add(l.group(1));
      }
    }
    return out;
  }

  private static List<String> lddOutput(Path elf) throws IOException {
    Process p = new ProcessBuilder("ldd", elf.toString()).redirectErrorStream(true).start();
    List<String> lines = new String(p.getInputStream().readAllBytes()).lines().toList();
    try {
      p.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return lines; // a non-ELF file makes ldd fail with no paths: nothing to add
  }
}
