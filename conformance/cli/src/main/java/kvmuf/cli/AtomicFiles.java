package kvmuf.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Result files appear whole or not at all: written to a temporary file in the same folder, then
 * renamed over the target. An interrupted or disk-full run leaves no 0-byte or half trace behind
 * (the temporary name ends in .tmp, which no reader of *.ndjson picks up, and a shutdown hook
 * deletes it on SIGINT/SIGTERM).
 */
final class AtomicFiles {
  private static final Set<Path> IN_FLIGHT = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> IN_FLIGHT.forEach(p -> p.toFile().delete()), "kvmuf-atomic-cleanup"));
  }

  private AtomicFiles() {}

  static void writeString(Path file, String text) {
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = null;
    try {
      tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
      IN_FLIGHT.add(tmp);
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw Failures.at(file, e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // the shutdown hook or the user's next run will see it; it is a .tmp, never read as a trace
        }
        IN_FLIGHT.remove(tmp);
      }
    }
  }
}
