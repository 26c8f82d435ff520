package kvmuf.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * A status line on stderr every few seconds while a long run goes on, whether or not stderr is a
 * terminal (a CI log needs to see that a run is alive, too). Never on stdout, so --json stays one
 * object; off with --quiet.
 */
final class ProgressLine implements AutoCloseable {
  static final long PERIOD_MILLIS = 5_000;

  private final Thread ticker;
  private volatile boolean closed;

  private ProgressLine(Thread ticker) {
    this.ticker = ticker;
  }

  /** Prints {@code prefix: Ns: status} every {@link #PERIOD_MILLIS}; nothing when {@code quiet}. */
  static ProgressLine start(String prefix, boolean quiet, Supplier<String> status) {
    return start(prefix, quiet, status, PERIOD_MILLIS);
  }

  static ProgressLine start(String prefix, boolean quiet, Supplier<String> status, long periodMillis) {
    if (quiet) {
      return new ProgressLine(null);
    }
    PrintStream err = System.err;
    long t0 = System.nanoTime();
    ProgressLine[] self = new ProgressLine[1];
    Thread t = Thread.ofPlatform().daemon().name("kvmuf-progress").unstarted(() -> {
      try {
        // The first line comes soon (a user wonders within seconds whether anything runs), then every period.
        long wait = Math.min(periodMillis, 2_000);
        while (true) {
          Thread.sleep(wait);
          wait = periodMillis;
          if (self[0].closed) {
            return;
          }
          err.printf(Locale.ROOT, "%s: %.0f s: %s%n", prefix, (System.nanoTime() - t0) / 1e9, status.get());
          err.flush();
        }
      } catch (InterruptedException e) {
        // closed
      }
    });
    self[0] = new ProgressLine(t);
    t.start();
    return self[0];
  }

  @Override
  public void close() {
    closed = true;
    if (ticker != null) {
      ticker.interrupt();
    }
  }
}
