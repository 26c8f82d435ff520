package kvmuf.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Running the host tools the VM runner needs (apt-get, dpkg, jdeps, jlink) and cleaning up after them. */
final class Tools {
  private Tools() {}

  /**
   * Runs a tool to completion and returns its output lines (stdout and stderr together). A missing
   * tool or a non-zero exit is an environment error carrying the tool's own reason: apt's "E:"
   * line where there is one, else its last line.
   */
  static List<String> run(List<String> cmd, Path dir) {
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      if (dir != null) {
        pb.directory(dir.toFile());
      }
      Process p = pb.start();
      List<String> lines = new String(p.getInputStream().readAllBytes()).lines().toList();
      if (p.waitFor() != 0) {
        String reason = lines.stream().filter(l -> l.startsWith("E:")).findFirst()
            .orElse(lines.isEmpty() ? "" : lines.getLast());
        throw VmException.environment(String.join(" ", cmd) + " failed: " + reason.strip());
      }
      return lines;
    } catch (IOException e) {
      throw VmException.environment(cmd.getFirst() + " not found (" + e.getMessage() + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw VmException.environment("interrupted while running " + cmd.getFirst());
    }
  }

  /** Deletes a file or folder tree; nothing to do when it is absent. */
  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    }
  }
}
