package kvmuf.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the kit's command line in this JVM (captured stdout/stderr) or in a forked JVM (own environment). */
public record CliRun(int rc, String out, String err) {

  public static synchronized CliRun inProcess(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int rc = Kvmuf.run(args);
      return new CliRun(rc, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  /** The kit's main class in a fresh JVM on this test's class path; {@code tmp} becomes its java.io.tmpdir. */
  static ProcessBuilder forked(Path tmp, Map<String, String> env, String... args) {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED", "-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"),
        Kvmuf.class.getName()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().putAll(env);
    return pb;
  }

  static CliRun fork(Path tmp, Map<String, String> env, String... args) throws IOException, InterruptedException {
    Process p = forked(tmp, env, args).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    var outF = p.getInputStream();
    var errF = p.getErrorStream();
    Thread.Builder b = Thread.ofVirtual();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Thread to = b.start(() -> copy(outF, out));
    Thread te = b.start(() -> copy(errF, err));
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("forked kvmuf " + String.join(" ", args) + " did not end in 300 s");
    }
    to.join();
    te.join();
    return new CliRun(p.exitValue(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static void copy(java.io.InputStream in, ByteArrayOutputStream to) {
    try {
      in.transferTo(to);
    } catch (IOException e) {
      // the process went away
    }
  }

  String firstErrLine() {
    return err.lines().filter(l -> !l.startsWith("Picked up JAVA_TOOL_OPTIONS")).findFirst().orElse("");
  }

  boolean stackTrace() {
    return err.lines().anyMatch(l -> l.matches("\\s+at [\\w.$]+\\(.*\\)") || l.startsWith("Exception in thread"));
  }

  /** The kit's temporary folders (kvmuf-*) in {@code dir}: what a command must leave none of. */
  public static List<Path> kitFolders(Path dir) {
    try (java.util.stream.Stream<Path> s = java.nio.file.Files.list(dir)) {
      return s.filter(f -> f.getFileName().toString().startsWith("kvmuf-")).toList();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Polls {@code cond} every 200 ms for up to {@code seconds}: a test's wait for another process, not a decision of the kit's. */
  public static boolean waitFor(java.util.function.BooleanSupplier cond, int seconds) throws InterruptedException {
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    while (System.nanoTime() < end) {
      if (cond.getAsBoolean()) {
        return true;
      }
      Thread.sleep(200);
    }
    return cond.getAsBoolean();
  }
}
