package kvmuf.proc;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What a run of a child process leaves while it runs (TLC: the forked JVM and the spec folder with its
 * metadir, 100+ MB on a large config; the VM runner: QEMU and the per-run folder with its initrd, ~57 MB),
 * undone by a shutdown hook when the kit is stopped by SIGINT or SIGTERM, not only by the run's own
 * finally (which a signal never reaches). One class for both, in the lowest module both use.
 */
public final class RunCleanup {
  private static final Map<Object, Runnable> PENDING = new ConcurrentHashMap<>();
  private static volatile boolean stopping;

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(RunCleanup::runAll, "kvmuf-run-cleanup"));
  }

  private RunCleanup() {}

  /** Kill {@code p} (and what it started) when the JVM is stopped before {@link #forget}. */
  public static void killOnExit(Process p) {
    PENDING.put(p, () -> kill(p));
  }

  /** Delete {@code dir} when the JVM is stopped before {@link #forget}; runs after every kill. */
  public static void deleteOnExit(Path dir) {
    PENDING.put(dir, () -> deleteTree(dir));
  }

  public static void forget(Object key) {
    PENDING.remove(key);
  }

  /** True once the JVM is being stopped: a child (TLC, QEMU) that just died was killed by us, not a failure to report. */
  public static boolean stopping() {
    return stopping;
  }

  private static void runAll() {
    stopping = true;
    // Processes first: a child still writing (TLC's metadir, QEMU reading its initrd) would refill the folder being deleted.
    PENDING.forEach((k, r) -> { if (k instanceof Process) r.run(); });
    PENDING.forEach((k, r) -> { if (!(k instanceof Process)) r.run(); });
  }

  public static void kill(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    try {
      p.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Deletes {@code dir} and everything in it. Synchronized: on a signal the shutdown hook and the run's own finally
   * both delete the same folder, and a walk that finds an entry the other deleter just removed must not stop half
   * way (it did, under load: the folder stayed). An entry that cannot be visited or deleted is skipped, not fatal.
   */
  public static synchronized void deleteTree(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
          f.toFile().delete();
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path f, IOException e) {
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path d, IOException e) {
          d.toFile().delete();
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException | java.io.UncheckedIOException ignored) {
      // A temp folder left behind is not worth failing a run over.
    }
  }
}
