package kvmuf.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new user's bad inputs (issue 18's list, measured on main): each gives its own exit code and one
 * first line on stderr that names the file or option and the cause; never a stack trace without
 * --debug, never exit 1 (which means a violation or a divergence and nothing else).
 */
class BadInputTest {
  @TempDir static Path tmp;
  static Path corpus;
  static Path trace;
  static Path empty;
  static Path concurrentLog;
  static Path readOnlyFs; // a tmpfs remounted read-only, where we may mount (root); else null
  static Path fullFs; // a tiny tmpfs filled up
  static String mountSkip = "";

  record Case(String name, Supplier<String[]> args, int rc, String firstLine, Supplier<String> skip) {
    Case(String name, int rc, String firstLine, String... args) {
      this(name, () -> args, rc, firstLine, () -> null);
    }
  }

  @BeforeAll
  static void fixtures() throws IOException, InterruptedException {
    corpus = tmp.resolve("corpus");
    CliRun g = CliRun.inProcess("traces", "generate", "--config", "default", "--count", "3", "--length", "6", "--out",
        corpus.toString(), "--quiet");
    assertThat(g.rc()).as(g.err()).isZero();
    trace = corpus.resolve("trace-000000.ndjson");
    empty = Files.createDirectories(tmp.resolve("empty"));
    String text = Files.readString(trace);
    concurrentLog = Files.writeString(tmp.resolve("run.concurrent.ndjson"), text.replace("\"generator\":\"random\"", "\"generator\":\"concurrent\""));
    write("notjson.ndjson", "this is not json\n");
    write("zero.ndjson", "");
    write("noheader.ndjson", text.lines().skip(1).reduce("", (a, b) -> a + b + "\n"));
    write("badaction.ndjson", text.replaceFirst("\"action\":\"\\w+\"", "\"action\":\"Teleport\""));
    write("badconfig.ndjson", text.replaceFirst("\"name\":\"default\"", "\"name\":\"nosuch\""));
    write("badkind.ndjson", text.replaceFirst("\"kind\":\"(uffd_blocked|done|srcu_wait)\"", "\"kind\":\"exploded\""));
    write("truncated.ndjson", text.substring(0, text.indexOf('\n') + 30) + "\n");
    // A user's own config with a bad number: the Java engine's parser names file:line (exit 2).
    write("bad.cfg", Files.readString(Path.of("../../spec/configs/small.cfg")).replaceFirst("NumGfns\\s*=\\s*\\d+", "NumGfns = two"));
    if (mount("ro", "size=1m") && run("mount", "-o", "remount,ro", tmp.resolve("ro").toString())) {
      readOnlyFs = tmp.resolve("ro");
    }
    if (mount("full", "size=64k")) {
      fullFs = tmp.resolve("full");
      // Fill it: tmpfs refuses the rest with ENOSPC.
      try (var o = Files.newOutputStream(fullFs.resolve("filler"))) {
        byte[] b = new byte[4096];
        for (int k = 0; k < 64; k++) {
          o.write(b);
        }
      } catch (IOException e) {
        assertThat(e.getMessage()).contains("No space left");
      }
    }
  }

  static void write(String name, String text) throws IOException {
    Files.writeString(tmp.resolve(name), text);
  }

  static String p(String name) {
    return tmp.resolve(name).toString();
  }

  /** Mounts a tmpfs at tmp/NAME (root only; anything else skips the cases that need it, visibly). */
  static boolean mount(String name, String opts) throws IOException, InterruptedException {
    Path at = Files.createDirectories(tmp.resolve(name));
    if (!run("mount", "-t", "tmpfs", "-o", opts, "kvmuf-test", at.toString())) {
      mountSkip = "cannot mount a tmpfs here (needs root): read-only and full filesystem cases skipped";
      return false;
    }
    return true;
  }

  static boolean run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    return p.waitFor() == 0;
  }

  @AfterAll
  static void unmount() throws IOException, InterruptedException {
    for (String n : List.of("ro", "full")) {
      if (Files.isDirectory(tmp.resolve(n))) {
        run("umount", tmp.resolve(n).toString());
      }
    }
  }

  static boolean root() {
    return "root".equals(System.getProperty("user.name"));
  }

  static List<Case> cases() {
    List<Case> c = new ArrayList<>();
    // The command line itself.
    c.add(new Case("no subcommand", 2, "^Usage: kvmuf"));
    c.add(new Case("bench without subcommand", 2, "^Usage: kvmuf bench", "bench"));
    c.add(new Case("traces without subcommand", 2, "^Usage: kvmuf traces", "traces"));
    c.add(new Case("vm without subcommand", 2, "^Usage: kvmuf vm", "vm"));
    c.add(new Case("misspelled command", 2, "^kvmuf: unknown command 'chek' for 'kvmuf'; did you mean 'check'", "chek"));
    c.add(new Case("misspelled traces command", 2, "^kvmuf: unknown command 'genrate' .*did you mean 'generate'", "traces", "genrate"));
    c.add(new Case("unknown option", 2, "^kvmuf: unknown option '--bogus'", "check", "--bogus"));
    // check
    c.add(new Case("check: bad engine", 2, "--engine.*tlc, java, both", "check", "--engine", "foo"));
    c.add(new Case("check: unknown config", 2, "config 'nosuch'", "check", "--config", "nosuch"));
    c.add(new Case("check: unknown mutant", 2, "mutant 'NoSuch'", "check", "--mutant", "NoSuch"));
    c.add(new Case("check: own cfg with a bad number", 2, "bad\\.cfg:\\d+: NumGfns = two is not a natural number",
        "check", "--engine", "java", "--config", tmp.resolve("bad.cfg").toString()));
    c.add(new Case("check: zero workers", 2, "--workers must be at least 1", "check", "--workers", "0"));
    c.add(new Case("check: workers not a number", 2, "--workers.*'two'", "check", "--workers", "two"));
    // traces generate
    c.add(new Case("generate: missing options", 2, "^kvmuf: Missing required options?", "traces", "generate"));
    c.add(new Case("generate: bad strategy", () -> new String[] {"traces", "generate", "--config", "default", "--out", p("g1"), "--strategy", "foo"},
        2, "--strategy.*random, coverage", () -> null));
    c.add(new Case("generate: negative count", () -> new String[] {"traces", "generate", "--config", "default", "--out", p("g2"), "--traces", "-1"},
        2, "--traces must be >= 0", () -> null));
    c.add(new Case("generate: bad shard", () -> new String[] {"traces", "generate", "--config", "default", "--out", p("g3"), "--shard", "3/2"},
        2, "--shard wants i/n", () -> null));
    c.add(new Case("generate: bad profile", () -> new String[] {"traces", "generate", "--config", "default", "--out", p("g4"), "--profile", "uf-v9"},
        2, "unknown profile 'uf-v9'", () -> null));
    c.add(new Case("generate: unknown config", () -> new String[] {"traces", "generate", "--config", "nosuch", "--out", p("g5")},
        2, "config 'nosuch'", () -> null));
    c.add(new Case("generate: into a corpus folder", () -> new String[] {"traces", "generate", "--config", "default", "--out", corpus.toString()},
        2, "corpus: already holds 3 traces; use an empty folder, or --force", () -> null));
    c.add(new Case("generate: absurd count", () -> new String[] {"traces", "generate", "--config", "default", "--out", p("g6"), "--count", "2000000000"},
        2, "--traces 2000000000 would write about [\\d.]+ GB.*--force", () -> null));
    c.add(new Case("generate: --out is a file", () -> new String[] {"traces", "generate", "--config", "default", "--out", trace.toString()},
        2, "trace-000000.ndjson: exists and is not a folder", () -> null));
    c.add(new Case("generate: read-only filesystem", () -> new String[] {"traces", "generate", "--config", "default", "--out", readOnlyFs.resolve("c").toString()},
        4, "ro/c: Read-only file system \\(EROFS", () -> readOnlyFs == null ? mountSkip : null));
    c.add(new Case("generate: full disk", () -> new String[] {"traces", "generate", "--config", "default", "--out", fullFs.resolve("c").toString()},
        4, "full/c: No space left on device \\(ENOSPC", () -> fullFs == null ? mountSkip : null));
    c.add(new Case("generate: mode 555 folder", () -> new String[] {"traces", "generate", "--config", "default", "--out", mode555().resolve("c").toString()},
        4, "r-x/c: permission denied", () -> root() ? "root ignores mode 555 (the read-only filesystem case covers it)" : null));
    // traces replay
    c.add(new Case("replay: missing --in", 2, "^kvmuf: Missing required option: '--in", "traces", "replay"));
    c.add(new Case("replay: no such input", () -> new String[] {"traces", "replay", "--in", p("nosuch")}, 2, "nosuch: no such file or folder", () -> null));
    c.add(new Case("replay: empty folder", () -> new String[] {"traces", "replay", "--in", empty.toString()}, 2, "empty: no \\*.ndjson trace files", () -> null));
    c.add(new Case("replay: bad target", () -> new String[] {"traces", "replay", "--in", trace.toString(), "--target", "foo"},
        2, "--target.*model, host", () -> null));
    c.add(new Case("replay: target vm", () -> new String[] {"traces", "replay", "--in", trace.toString(), "--target", "vm"},
        2, "--target vm cannot see this machine's files", () -> null));
    c.add(new Case("replay: bad choice", () -> new String[] {"traces", "replay", "--in", trace.toString(), "--choice", "foo"},
        2, "--choice.*first, random", () -> null));
    c.add(new Case("replay: zero rounds", () -> new String[] {"traces", "replay", "--in", trace.toString(), "--rounds", "0"},
        2, "--rounds must be at least 1", () -> null));
    c.add(new Case("replay: not JSON", () -> new String[] {"traces", "replay", "--in", p("notjson.ndjson")}, 2, "notjson.ndjson:1: ", () -> null));
    c.add(new Case("replay: 0-byte file", () -> new String[] {"traces", "replay", "--in", p("zero.ndjson")}, 2, "zero.ndjson:\\d+: ", () -> null));
    c.add(new Case("replay: no header", () -> new String[] {"traces", "replay", "--in", p("noheader.ndjson")}, 2, "noheader.ndjson:1: ", () -> null));
    c.add(new Case("replay: unknown action", () -> new String[] {"traces", "replay", "--in", p("badaction.ndjson")}, 2, "badaction.ndjson:2: .*Teleport", () -> null));
    c.add(new Case("replay: unknown config in header", () -> new String[] {"traces", "replay", "--in", p("badconfig.ndjson")}, 2, "badconfig.ndjson:1: ", () -> null));
    c.add(new Case("replay: unknown observation kind", () -> new String[] {"traces", "replay", "--in", p("badkind.ndjson")}, 2, "badkind.ndjson:2: .*exploded", () -> null));
    c.add(new Case("replay: truncated line", () -> new String[] {"traces", "replay", "--in", p("truncated.ndjson")}, 2, "truncated.ndjson:2: ", () -> null));
    c.add(new Case("replay: a concurrent log", () -> new String[] {"traces", "replay", "--in", concurrentLog.toString()},
        2, "a concurrent log .*'kvmuf traces validate ", () -> null));
    c.add(new Case("replay: --record into a corpus", () -> new String[] {"traces", "replay", "--in", trace.toString(), "--record", corpus.toString()},
        2, "corpus: already holds 3 traces", () -> null));
    c.add(new Case("replay: --record on a read-only filesystem", () -> new String[] {"traces", "replay", "--in", trace.toString(), "--record", readOnlyFs.toString()},
        4, "ro: Read-only file system", () -> readOnlyFs == null ? mountSkip : null));
    // traces validate
    c.add(new Case("validate: no such file", () -> new String[] {"traces", "validate", "--in", p("nosuch.ndjson")}, 2, "nosuch.ndjson(:0)?: no such file", () -> null));
    c.add(new Case("validate: zero bound", () -> new String[] {"traces", "validate", "--in", trace.toString(), "--bound", "0"}, 2, "--bound must be at least 1", () -> null));
    c.add(new Case("validate: not JSON", () -> new String[] {"traces", "validate", "--in", p("notjson.ndjson")}, 2, "notjson.ndjson:1: ", () -> null));
    // traces shrink
    c.add(new Case("shrink: bad --until", () -> new String[] {"traces", "shrink", "--in", trace.toString(), "--until", "foo"}, 2, "--until.*diverges, violates", () -> null));
    c.add(new Case("shrink: --json without --out", () -> new String[] {"traces", "shrink", "--in", trace.toString(), "--until", "diverges", "--json"},
        2, "--json needs --out", () -> null));
    c.add(new Case("shrink: --out over its input", () -> new String[] {"traces", "shrink", "--in", trace.toString(), "--until", "diverges", "--out", trace.toString()},
        2, "trace-000000.ndjson: is the input", () -> null));
    c.add(new Case("shrink: --out over its input, forced", () -> new String[] {"traces", "shrink", "--in", trace.toString(), "--until", "diverges", "--out", trace.toString(), "--force"},
        2, "trace-000000.ndjson: is the input", () -> null));
    c.add(new Case("shrink: --out an existing file", () -> new String[] {"traces", "shrink", "--in", trace.toString(), "--until", "diverges", "--out", corpus.resolve("trace-000001.ndjson").toString()},
        2, "trace-000001.ndjson: exists; use --force", () -> null));
    c.add(new Case("shrink: --out a folder", () -> new String[] {"traces", "shrink", "--in", trace.toString(), "--until", "diverges", "--out", empty.toString()},
        2, "empty: is a folder", () -> null));
    c.add(new Case("shrink: --out on a read-only filesystem", () -> new String[] {"traces", "shrink", "--in", trace.toString(), "--until", "diverges", "--out", readOnlyFs.resolve("s.ndjson").toString()},
        4, "ro: Read-only file system", () -> readOnlyFs == null ? mountSkip : null));
    c.add(new Case("shrink: a trace that does not fail", () -> new String[] {"traces", "shrink", "--in", trace.toString(), "--until", "diverges"},
        2, "the trace does not diverge on the model: nothing to shrink", () -> null));
    // conform (everything here is refused before any kernel work)
    c.add(new Case("conform: no target", 2, "--target is required", "conform"));
    c.add(new Case("conform: bad target", 2, "--target.*host, vm", "conform", "--target", "foo"));
    c.add(new Case("conform: negative traces", 2, "--traces must be 0 or more", "conform", "--target", "host", "--traces", "-1"));
    c.add(new Case("conform: --traces with --in", () -> new String[] {"conform", "--target", "host", "--traces", "2", "--in", corpus.toString()},
        2, "--traces and --in exclude each other", () -> null));
    c.add(new Case("conform: unknown rule", 2, "rule 'nosuch'", "conform", "--target", "host", "--rules", "nosuch"));
    c.add(new Case("conform: unknown model mutant", 2, "unknown model mutant 'NoSuch'", "conform", "--target", "host", "--model-mutant", "NoSuch"));
    c.add(new Case("conform: --kernel on host", 2, "--kernel and --kernel-mutant go with --target vm", "conform", "--target", "host", "--kernel", "reference", "--traces", "0"));
    c.add(new Case("conform: --out with vm", 2, "--in and --out work with --target host only", "conform", "--target", "vm", "--out", "/tmp/x"));
    c.add(new Case("conform: zero vm timeout", 2, "--vm-timeout must be a positive", "conform", "--target", "vm", "--vm-timeout", "0"));
    c.add(new Case("conform: nothing to run", 2, "nothing to run", "conform", "--target", "host", "--rules", "none", "--traces", "0"));
    c.add(new Case("conform: --out on a read-only filesystem", () -> new String[] {"conform", "--target", "host", "--rules", "none", "--traces", "1", "--config", "conform-upstream", "--out", readOnlyFs.resolve("o").toString()},
        4, "ro/o: Read-only file system", () -> readOnlyFs == null ? mountSkip : null));
    // bench
    c.add(new Case("bench: bad target", 2, "unknown target 'foo' \\(known: host, vm, threads\\)", "bench", "demand-paging", "--target", "foo"));
    c.add(new Case("bench: --plot into a read-only filesystem", () -> new String[] {"bench", "demand-paging", "--target", "threads", "--vcpus", "1", "--mem-per-vcpu", "4M", "--mode", "none", "--plot", readOnlyFs.resolve("p.svg").toString()},
        4, "ro: Read-only file system", () -> readOnlyFs == null ? mountSkip : null));
    return c;
  }

  static Path mode555() {
    try {
      Path d = Files.createDirectories(tmp.resolve("r-x"));
      Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("r-xr-xr-x"));
      return d;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @TestFactory
  Stream<DynamicTest> eachBadInputHasItsCodeAndOneLine() {
    return cases().stream().map(k -> DynamicTest.dynamicTest(k.name(), () -> {
      String skip = k.skip().get();
      assumeTrue(skip == null, skip);
      CliRun r = CliRun.inProcess(k.args().get());
      check(k.name(), r, k.rc(), k.firstLine());
    }));
  }

  static void check(String name, CliRun r, int rc, String firstLine) {
    assertThat(r.rc()).as(name + ": exit code; stderr:\n" + r.err()).isEqualTo(rc);
    assertThat(r.firstErrLine()).as(name + ": first stderr line").containsPattern(Pattern.compile(firstLine));
    if (!firstLine.startsWith("^Usage")) {
      assertThat(r.firstErrLine()).as(name).startsWith("kvmuf: ");
    }
    assertThat(r.stackTrace()).as(name + ": no stack trace without --debug; stderr:\n" + r.err()).isFalse();
  }

  @Test
  void atLeastFortyCases() {
    assertThat(cases()).hasSizeGreaterThanOrEqualTo(40);
    assertThat(cases()).noneMatch(k -> k.rc() == ExitCodes.VIOLATION);
  }

  /** The environment cases need their own JVM (KVMUF_TLA2TOOLS) and show the forked kit behaves the same. */
  @TestFactory
  Stream<DynamicTest> tlaToolsOverride() throws IOException {
    Path broken = Files.writeString(tmp.resolve("broken.jar"), "not a jar");
    Path zipNoTlc = tmp.resolve("other.jar");
    try (var z = new java.util.zip.ZipOutputStream(Files.newOutputStream(zipNoTlc))) {
      z.putNextEntry(new java.util.zip.ZipEntry("README"));
      z.write("x".getBytes());
      z.closeEntry();
    }
    Map<String, String[]> cases = Map.of(
        "missing path", new String[] {tmp.resolve("nosuch.jar").toString(), "KVMUF_TLA2TOOLS=.*nosuch.jar: no such file"},
        "a folder", new String[] {tmp.toString(), "KVMUF_TLA2TOOLS=.*: is a folder"},
        "not a jar", new String[] {broken.toString(), "KVMUF_TLA2TOOLS=.*broken.jar: not a readable jar"},
        "a jar without TLC", new String[] {zipNoTlc.toString(), "KVMUF_TLA2TOOLS=.*other.jar: not a TLA\\+ tools jar"});
    return cases.entrySet().stream().map(e -> DynamicTest.dynamicTest("KVMUF_TLA2TOOLS " + e.getKey(), () -> {
      CliRun r = CliRun.fork(tmp, Map.of("KVMUF_TLA2TOOLS", e.getValue()[0]), "check");
      check(e.getKey(), r, ExitCodes.ENVIRONMENT, e.getValue()[1]);
      assertThat(r.out()).doesNotContain("@!@!@").doesNotContain("state space changed");
    }));
  }

  /** A state space larger than the heap is an environment limit: one line that says how to give the JVM more, no stack trace. */
  @Test
  void anExplorerOutOfMemorySaysHowToGiveItMore() throws IOException, InterruptedException {
    CliRun r = CliRun.fork(tmp, Map.of("JAVA_TOOL_OPTIONS", "-Xmx64m"), "check", "--engine", "java", "--config", "frames");
    assertThat(r.rc()).as(r.err()).isEqualTo(ExitCodes.ENVIRONMENT);
    assertThat(r.firstErrLine()).startsWith("kvmuf: out of memory: the Java heap (at most ").contains("KVMUF_JAVA_OPTS=-Xmx");
    assertThat(r.stackTrace()).as(r.err()).isFalse();
  }

  @Test
  void debugPrintsTheStackTraceOfAnInternalErrorOnly() {
    Failures.Failure f = Failures.of(new IllegalStateException("boom"));
    assertThat(f.exitCode()).isEqualTo(ExitCodes.IO_OR_INTERNAL);
    assertThat(f.line()).startsWith("internal error: java.lang.IllegalStateException: boom");
    // A user mistake with --debug is still one line: --debug is for the kit's bugs.
    CliRun r = CliRun.inProcess("--debug", "check", "--workers", "0");
    assertThat(r.rc()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.firstErrLine()).contains("--workers must be at least 1");
  }

  @Test
  void anInterruptedOrFullDiskGenerateLeavesNoEmptyOrHalfFile() throws IOException, InterruptedException {
    assumeTrue(fullFs != null, mountSkip);
    // Make room for the probe and a few traces only, then ask for many: the disk fills mid-run.
    Path small = tmp.resolve("small");
    Files.createDirectories(small);
    assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=16k", "kvmuf-test", small.toString()), mountSkip);
    try {
      CliRun r = CliRun.inProcess("traces", "generate", "--config", "default", "--count", "500", "--length", "40", "--out",
          small.resolve("c").toString(), "--quiet");
      check("generate filling the disk", r, ExitCodes.IO_OR_INTERNAL, "No space left on device");
      try (Stream<Path> s = Files.list(small.resolve("c"))) {
        List<Path> left = s.toList();
        assertThat(left).as("some traces were written before the disk filled").isNotEmpty();
        for (Path f : left) {
          assertThat(f.getFileName().toString()).as("no temporary file left").endsWith(".ndjson");
          assertThat(Files.size(f)).as(f + " is whole").isPositive();
          assertThat(Files.readString(f)).endsWith("\n");
        }
      }
      CliRun replay = CliRun.inProcess("traces", "replay", "--in", small.resolve("c").toString(), "--quiet");
      assertThat(replay.rc()).as(replay.err()).isZero();
    } finally {
      run("umount", small.toString());
    }
  }
}
