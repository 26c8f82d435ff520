package kvmuf.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What a VM run leaves while it runs (QEMU, the per-run folder with its initrd, ~57 MB
 * of initramfs), undone by a shutdown hook when the kit is stopped by SIGINT or SIGTERM, not
 * only by the run's own finally (which a signal never reaches).
 */
final class RunCleanup {
  private static final Map<Object, Runnable> PENDING = new ConcurrentHashMap<>();
  private static volatile boolean stopping;

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(RunCleanup::runAll, "kvmuf-vm-cleanup"));
  }

  private RunCleanup() {}

  /** Kill {@code p} (and what it started) when the JVM is stopped before {@link #forget}. */
  static void killOnExit(Process p) {
    PENDING.put(p, () -> kill(p));
  }

  /** Delete {@code dir} when the JVM is stopped before {@link #forget}; runs after every kill. */
  static void deleteOnExit(Path dir) {
    PENDING.put(dir, () -> deleteTree(dir));
  }

  static void forget(Object key) {
    PENDING.remove(key);
  }

  /** True once the JVM is being stopped: a QEMU that just ended was killed by the signal or by us, not a boot failure. */
  static boolean stopping() {
    return stopping;
  }

  private static void runAll() {
    stopping = true;
    // Processes first: a QEMU still reading its initrd would refill the folder being deleted.
    PENDING.forEach((k, r) -> { if (k instanceof Process) r.run(); });
    PENDING.forEach((k, r) -> { if (!(k instanceof Process)) r.run(); });
  }

  static void kill(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    try {
      p.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static void deleteTree(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | java.io.UncheckedIOException ignored) {
      // A temp folder left behind is not worth failing a run over.
    }
  }
}
