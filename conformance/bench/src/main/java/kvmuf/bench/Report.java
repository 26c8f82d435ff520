package kvmuf.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The bench's output: a text table shaped like the series' table (rows = modes, columns = vCPU counts), the
 * JSON object, and what the checks found. Units are spelled out because the series' cover letter did not: its
 * numbers are per-vCPU pages per second.
 */
public final class Report {
  private Report() {}

  public static String header(BenchConfig c) {
    String who = c.target() == Target.THREADS ? "threads" : "vCPUs";
    return String.format(
        Locale.ROOT,
        "demand paging: target %s, %s memory, %s per %s (%d pages of 4 KiB), every page touched once;%n"
            + "uffd-single readers: %d; faults resolved with %s%s%n",
        c.target(),
        c.backing(),
        Sizes.format(c.memPerVcpu()),
        c.target() == Target.THREADS ? "thread" : "vCPU",
        c.pagesPerVcpu(),
        c.readers(),
        c.backing() == Backing.ANON ? "UFFDIO_COPY (MISSING)" : "UFFDIO_CONTINUE (MINOR, page cache preallocated)",
        c.repeat() > 1 ? "; each cell the median of " + c.repeat() + " runs" : "")
        + (c.target() == Target.THREADS ? "(no KVM: " + who + " touch host memory)\n" : "");
  }

  /** Two tables: per-vCPU pages/s (the series' unit) and overall pages/s; an unsupported cell prints its reason below. */
  public static String table(BenchConfig c, List<CellResult> cells) {
    StringBuilder b = new StringBuilder(header(c));
    String who = c.target() == Target.THREADS ? "thread" : "vCPU";
    b.append('\n').append("per-").append(who).append(" pages/s (mean over ").append(who)
        .append("s of pages / own elapsed time; the unit of the series' table)\n");
    grid(b, c, cells, CellResult.Measured::perVcpuPagesPerSecond);
    b.append('\n').append("overall pages/s (all pages / wall time from the first start to the last ").append(who).append(" done)\n");
    grid(b, c, cells, CellResult.Measured::overallPagesPerSecond);
    List<String> notes = new ArrayList<>();
    for (CellResult r : cells) {
      if (r instanceof CellResult.Unsupported u && notes.stream().noneMatch(s -> s.startsWith(u.mode() + ": "))) {
        notes.add(u.mode() + ": " + u.reason());
      }
    }
    if (!notes.isEmpty()) {
      b.append('\n');
      notes.forEach(s -> b.append(s).append('\n'));
    }
    b.append('\n').append(checks(cells)).append('\n');
    return b.toString();
  }

  private static void grid(StringBuilder b, BenchConfig c, List<CellResult> cells, ToDoubleFunction<CellResult.Measured> f) {
    b.append(String.format("%-15s", "mode"));
    for (int n : c.vcpus()) b.append(String.format("%13s", n));
    b.append('\n');
    for (Mode m : c.modes()) {
      b.append(String.format("%-15s", m));
      for (int n : c.vcpus()) {
        CellResult r = find(cells, m, n);
        String s = switch (r) {
          case null -> "-";
          case CellResult.Measured x -> String.format(Locale.ROOT, "%.0f", f.applyAsDouble(x));
          case CellResult.Unsupported u -> "unsupported";
        };
        b.append(String.format("%13s", s));
      }
      b.append('\n');
    }
  }

  static CellResult find(List<CellResult> cells, Mode m, int n) {
    return cells.stream().filter(r -> r.mode() == m && r.vcpus() == n).findFirst().orElse(null);
  }

  /** "checks: ok (...)" or one line per problem. */
  public static String checks(List<CellResult> cells) {
    List<String> problems = problems(cells);
    long measured = cells.stream().filter(r -> r instanceof CellResult.Measured).count();
    if (problems.isEmpty()) {
      return "checks: ok in all " + measured + " measured cells: every page touched exactly once; in uffd modes one fault"
          + " served per page, from the vCPU that owns the chunk";
    }
    StringBuilder b = new StringBuilder("checks FAILED:\n");
    problems.forEach(p -> b.append("  ").append(p).append('\n'));
    return b.toString().stripTrailing();
  }

  public static List<String> problems(List<CellResult> cells) {
    List<String> out = new ArrayList<>();
    for (CellResult r : cells) {
      if (r instanceof CellResult.Measured m) {
        for (String p : m.problems()) out.add(m.mode() + " x" + m.vcpus() + ": " + p);
      }
    }
    return out;
  }

  public static Map<String, Object> json(BenchConfig c, List<CellResult> cells) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("bench", "demand-paging");
    out.put("target", c.target().cliName());
    out.put("backing", c.backing().cliName());
    out.put("memPerVcpu", c.memPerVcpu());
    out.put("pagesPerVcpu", c.pagesPerVcpu());
    out.put("readers", c.readers());
    out.put("vcpus", c.vcpus());
    out.put("modes", c.modes().stream().map(Mode::cliName).toList());
    out.put("units", Map.of(
        "perVcpuPagesPerSecond", "mean over vCPUs of pages touched / that vCPU's elapsed seconds (the series' table unit)",
        "overallPagesPerSecond", "all pages / wall seconds from the first vCPU start to the last vCPU end",
        "selftestStylePerVcpu", "pages per vCPU / wall seconds (demand_paging_test's 'Per-vcpu demand paging rate')"));
    List<Object> list = new ArrayList<>();
    for (CellResult r : cells) list.add(cellJson(r));
    out.put("cells", list);
    List<String> problems = problems(cells);
    out.put("checksOk", problems.isEmpty());
    out.put("problems", problems);
    return out;
  }

  static Map<String, Object> cellJson(CellResult r) {
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("mode", r.mode().cliName());
    j.put("vcpus", r.vcpus());
    switch (r) {
      case CellResult.Unsupported u -> {
        j.put("supported", false);
        j.put("reason", u.reason());
      }
      case CellResult.Measured m -> {
        j.put("supported", true);
        j.put("perVcpuPagesPerSecond", Math.round(m.perVcpuPagesPerSecond()));
        j.put("overallPagesPerSecond", Math.round(m.overallPagesPerSecond()));
        j.put("selftestStylePerVcpu", Math.round(m.selftestStylePerVcpu()));
        j.put("wallSeconds", m.wallNanos() / 1e9);
        j.put("repeatsPerVcpuPagesPerSecond", m.repeats().stream().map(Math::round).toList());
        j.put("totalPages", m.totalPages());
        List<Object> ws = new ArrayList<>();
        for (CellResult.WorkerStat w : m.workers()) {
          Map<String, Object> wj = new LinkedHashMap<>();
          wj.put("index", w.index());
          wj.put("pages", w.touched());
          wj.put("seconds", w.nanos() / 1e9);
          wj.put("pagesPerSecond", Math.round(w.pagesPerSecond()));
          wj.put("faults", w.faults());
          ws.add(wj);
        }
        j.put("workers", ws);
        Accounting a = m.accounting();
        Map<String, Object> aj = new LinkedHashMap<>();
        aj.put("touchedOnce", a.touchedOnce());
        aj.put("untouched", a.untouched());
        aj.put("overTouched", a.overTouched());
        aj.put("eexist", a.exists());
        aj.put("wrongChunk", a.wrongChunk());
        aj.put("unknownThread", a.unknownThread());
        aj.put("emptyWakeups", a.emptyWakeups());
        aj.put("perReader", a.perReader());
        j.put("accounting", aj);
        j.put("problems", m.problems());
      }
    }
    return j;
  }
}
