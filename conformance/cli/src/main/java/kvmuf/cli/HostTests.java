package kvmuf.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** Runs the JUnit console launcher on this machine, for {@code vm test --here} (scripts/host-check.sh). */
final class HostTests {
  private HostTests() {}

  /**
   * The launcher arguments both places use: tests are looked for in the class folders only (jars
   * are libraries), one tag, a tree of results.
   */
  static List<String> launcherArgs(String classPath, String scanRoots, String tag) {
    return List.of("execute", "--disable-banner", "--disable-ansi-colors", "--details=tree",
        "--class-path", classPath, "--scan-class-path", scanRoots, "--include-tag", tag);
  }

  /** Runs the tests with the running JVM's java; returns this kernel's release. */
  static String run(Path launcher, List<Path> classPath, String tag, List<String> seen) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED", "-jar", launcher.toString()));
    cmd.addAll(launcherArgs(classPath.stream().map(Path::toString).collect(Collectors.joining(":")),
        classPath.stream().filter(Files::isDirectory).map(Path::toString).collect(Collectors.joining(":")), tag));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        seen.add(line);
        System.out.println(line);
      }
    }
    p.waitFor();
    return Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
  }
}
