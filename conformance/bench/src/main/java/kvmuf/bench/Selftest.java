package kvmuf.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The peer baseline: the kernel's own tools/testing/selftests/kvm/demand_paging_test, built from Debian's
 * linux-source-6.12 package into the kit's cache (never into the repository), run with the parameters of each
 * bench cell. Nothing is estimated: a cell the selftest cannot run says why.
 *
 * <p>Build steps, each logged to {@code build.log} in the cache: {@code apt-get download linux-source-6.12},
 * {@code dpkg -x}, untar without the big trees the selftest does not need, {@code make headers} (the uapi
 * headers into usr/include: the step of headers_install that needs no rsync), then {@code make -C
 * tools/testing/selftests/kvm <abs>/demand_paging_test} (the kvm Makefile names its targets by absolute path).
 */
public final class Selftest {
  static final String PACKAGE = "linux-source-6.12";
  static final String SRC = "linux-source-6.12";
  private static final Pattern PER_VCPU = Pattern.compile("Per-vcpu demand paging rate:\\s*([0-9.]+)");
  private static final Pattern OVERALL = Pattern.compile("Overall demand paging rate:\\s*([0-9.]+)");

  private final Path dir;

  public Selftest(Path dir) {
    this.dir = dir;
  }

  /** $KVMUF_CACHE/selftest, or ~/.cache/kvmuf/selftest. */
  public static Selftest inCache() {
    String env = System.getenv("KVMUF_CACHE");
    Path base = env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "kvmuf");
    return new Selftest(base.resolve("selftest"));
  }

  public Path binary() {
    return dir.resolve("demand_paging_test");
  }

  /** A step of the build failed; the message is the step and the last lines it printed. */
  public static final class BuildException extends Exception {
    BuildException(String message) {
      super(message);
    }
  }

  public void ensureBuilt(Consumer<String> progress) throws BuildException, IOException {
    if (Files.isExecutable(binary())) return;
    Files.createDirectories(dir);
    Path src = dir.resolve(SRC);
    Path kvm = src.resolve("tools/testing/selftests/kvm");
    if (!Files.isDirectory(kvm)) {
      Path deb;
      try (var s = Files.list(dir)) {
        deb = s.filter(p -> p.getFileName().toString().startsWith(PACKAGE + "_") && p.toString().endsWith(".deb")).findFirst().orElse(null);
      }
      if (deb == null) {
        progress.accept("selftest: apt-get download " + PACKAGE + " (about 150 MB)...");
        step("apt-get download", List.of("apt-get", "download", PACKAGE));
        try (var s = Files.list(dir)) {
          deb = s.filter(p -> p.getFileName().toString().startsWith(PACKAGE + "_") && p.toString().endsWith(".deb")).findFirst()
              .orElseThrow(() -> new BuildException("apt-get download left no " + PACKAGE + " .deb in " + dir));
        }
      }
      progress.accept("selftest: extracting the kernel source...");
      step("dpkg -x", List.of("dpkg", "-x", deb.toString(), "pkg"));
      step("tar", List.of("tar", "-xJf", "pkg/usr/src/" + SRC + ".tar.xz",
          "--exclude=" + SRC + "/drivers", "--exclude=" + SRC + "/Documentation", "--exclude=" + SRC + "/sound",
          "--exclude=" + SRC + "/fs", "--exclude=" + SRC + "/net"));
    }
    progress.accept("selftest: make headers, make demand_paging_test...");
    step("make headers", List.of("make", "-C", src.toString(), "headers"));
    String jobs = Integer.toString(Math.max(1, Runtime.getRuntime().availableProcessors()));
    step("make demand_paging_test", List.of("make", "-C", kvm.toString(), "-j" + jobs, kvm.resolve("demand_paging_test").toString()));
    Files.copy(kvm.resolve("demand_paging_test"), binary(), StandardCopyOption.REPLACE_EXISTING);
  }

  private void step(String name, List<String> cmd) throws BuildException, IOException {
    Path log = dir.resolve("build.log");
    Files.writeString(log, "$ " + String.join(" ", cmd) + "\n", java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    int rc;
    try {
      rc = p.waitFor();
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new BuildException(name + ": interrupted");
    }
    if (rc != 0) {
      List<String> lines = Files.readAllLines(log);
      String tail = String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
      throw new BuildException(name + " exited " + rc + ": " + tail + " (log: " + log + ")");
    }
  }

  /** demand_paging_test's arguments for a cell, or empty with the reason it has no equivalent. */
  static List<String> args(BenchConfig c, Mode mode, int vcpus) {
    List<String> a = new ArrayList<>(List.of("-b", Sizes.selftestSize(c.memPerVcpu()), "-v", Integer.toString(vcpus)));
    switch (mode) {
      case NONE -> {}
      case UFFD_SINGLE -> a.addAll(List.of("-a", "-u", c.backing().uffdMode(), "-r", Integer.toString(c.readers())));
      case UFFD_PER_VCPU -> a.addAll(List.of("-u", c.backing().uffdMode(), "-r", "1"));
      case KVM_UF, KVM_UF_UFFD -> {
        return List.of();
      }
    }
    if (c.backing() == Backing.SHMEM) a.addAll(List.of("-s", "shmem"));
    return a;
  }

  /** The selftest's two figures, parsed from its output (the last run printed, if it tested several guest modes). */
  record Rates(double perVcpu, double overall) {}

  static Rates parse(String output) {
    double per = last(PER_VCPU, output), all = last(OVERALL, output);
    if (Double.isNaN(per) || Double.isNaN(all)) throw new IllegalStateException("no rates in demand_paging_test output: " + tail(output));
    return new Rates(per, all);
  }

  private static double last(Pattern p, String s) {
    Matcher m = p.matcher(s);
    double v = Double.NaN;
    while (m.find()) v = Double.parseDouble(m.group(1));
    return v;
  }

  private static String tail(String s) {
    String t = s.strip();
    return t.length() > 300 ? "..." + t.substring(t.length() - 300) : t;
  }

  /**
   * One cell side by side. Ours is taken with the selftest's definitions (per-vCPU = pages per vCPU / wall
   * time, overall = all pages / wall time), so the ratio compares like with like.
   */
  public record Comparison(
      Mode mode, int vcpus, List<String> args, OptionalDouble selftestPerVcpu, OptionalDouble selftestOverall,
      double oursPerVcpu, double oursOverall, String note) {
    public OptionalDouble ratioPerVcpu() {
      return selftestPerVcpu.isPresent() && selftestPerVcpu.getAsDouble() > 0
          ? OptionalDouble.of(oursPerVcpu / selftestPerVcpu.getAsDouble())
          : OptionalDouble.empty();
    }
  }

  public List<Comparison> compare(BenchConfig c, List<CellResult> cells, Consumer<String> progress) {
    List<Comparison> out = new ArrayList<>();
    for (CellResult r : cells) {
      if (!(r instanceof CellResult.Measured m)) continue;
      List<String> a = args(c, m.mode(), m.vcpus());
      if (a.isEmpty()) {
        out.add(new Comparison(m.mode(), m.vcpus(), a, OptionalDouble.empty(), OptionalDouble.empty(),
            m.selftestStylePerVcpu(), m.overallPagesPerSecond(), "6.12's demand_paging_test has no KVM Userfault mode (-k)"));
        continue;
      }
      progress.accept("selftest: demand_paging_test " + String.join(" ", a));
      String note = m.mode() == Mode.NONE ? "selftest memory is not pre-populated: its guest faults also allocate host pages" : "";
      try {
        Rates rates = parse(runBinary(a));
        out.add(new Comparison(m.mode(), m.vcpus(), a, OptionalDouble.of(rates.perVcpu()), OptionalDouble.of(rates.overall()),
            m.selftestStylePerVcpu(), m.overallPagesPerSecond(), note));
      } catch (RuntimeException | IOException e) {
        out.add(new Comparison(m.mode(), m.vcpus(), a, OptionalDouble.empty(), OptionalDouble.empty(),
            m.selftestStylePerVcpu(), m.overallPagesPerSecond(), "selftest failed: " + e.getMessage()));
      }
    }
    return out;
  }

  private String runBinary(List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(binary().toString());
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out;
    try {
      out = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(600, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("timed out");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    }
    if (p.exitValue() != 0) throw new IllegalStateException("exit " + p.exitValue() + ": " + tail(out));
    return out;
  }

  public static String table(List<Comparison> rows) {
    StringBuilder b = new StringBuilder("\ncompared with the kernel's demand_paging_test (both with its definitions: per-vCPU = pages per vCPU / wall time)\n");
    b.append(String.format("%-15s %6s %14s %14s %8s %14s %14s  %s%n", "mode", "vcpus", "ours/vCPU", "selftest/vCPU", "ratio", "ours overall", "selftest all", "selftest args"));
    for (Comparison c : rows) {
      b.append(String.format(Locale.ROOT, "%-15s %6d %14.0f %14s %8s %14.0f %14s  %s%n",
          c.mode(), c.vcpus(), c.oursPerVcpu(), fmt(c.selftestPerVcpu(), "%.0f"), fmt(c.ratioPerVcpu(), "%.2f"),
          c.oursOverall(), fmt(c.selftestOverall(), "%.0f"), String.join(" ", c.args())));
      if (!c.note().isEmpty()) b.append("    note: ").append(c.note()).append('\n');
    }
    b.append("ratio = ours / selftest (our FFM bench over the C selftest)\n");
    return b.toString();
  }

  private static String fmt(OptionalDouble d, String f) {
    return d.isPresent() ? String.format(Locale.ROOT, f, d.getAsDouble()) : "n/a";
  }

  public static List<Object> json(List<Comparison> rows) {
    List<Object> out = new ArrayList<>();
    for (Comparison c : rows) {
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("mode", c.mode().cliName());
      j.put("vcpus", c.vcpus());
      j.put("selftestArgs", c.args());
      j.put("oursPerVcpu", Math.round(c.oursPerVcpu()));
      j.put("oursOverall", Math.round(c.oursOverall()));
      j.put("selftestPerVcpu", c.selftestPerVcpu().isPresent() ? Math.round(c.selftestPerVcpu().getAsDouble()) : null);
      j.put("selftestOverall", c.selftestOverall().isPresent() ? Math.round(c.selftestOverall().getAsDouble()) : null);
      j.put("ratioPerVcpu", c.ratioPerVcpu().isPresent() ? Math.round(c.ratioPerVcpu().getAsDouble() * 1000) / 1000.0 : null);
      j.put("note", c.note());
      out.add(j);
    }
    return out;
  }
}
