package kvmuf.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** Table, JSON and SVG structure, and the checks that decide whether a figure may be reported (synthetic cells). */
class DemandPagingReportTest {
  static final BenchConfig CONFIG =
      new BenchConfig(Target.HOST, List.of(1, 2), 64L << 20, List.of(Mode.NONE, Mode.UFFD_SINGLE, Mode.KVM_UF), 1, Backing.ANON, true);

  static CellResult.Measured measured(Mode mode, int n, long faultsEach, long touchedOnce) {
    List<CellResult.WorkerStat> ws = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) ws.add(new CellResult.WorkerStat(i, 16384, 1_000_000_000L * (i + 1), faultsEach));
    long total = 16384L * n;
    List<Long> readers = mode == Mode.NONE ? List.of() : List.of(faultsEach * n);
    return new CellResult.Measured(mode, n, 16384, ws, 2_000_000_000L, new Accounting(touchedOnce, total - touchedOnce, 0, 0, 0, 0, 0, readers));
  }

  static List<CellResult> cells() {
    return List.of(
        measured(Mode.NONE, 1, 0, 16384),
        measured(Mode.NONE, 2, 0, 32768),
        measured(Mode.UFFD_SINGLE, 1, 16384, 16384),
        measured(Mode.UFFD_SINGLE, 2, 16384, 32768),
        new CellResult.Unsupported(Mode.KVM_UF, 1, "unsupported: KVM_CAP_USERFAULT not offered by this kernel"),
        new CellResult.Unsupported(Mode.KVM_UF, 2, "unsupported: KVM_CAP_USERFAULT not offered by this kernel"));
  }

  @Test
  void perVcpuIsTheMeanOfEachVcpusOwnRateAndOverallIsPagesOverWall() {
    CellResult.Measured m = measured(Mode.NONE, 2, 0, 32768);
    // vCPU 0: 16384 pages in 1 s, vCPU 1: in 2 s -> mean 12288; overall 32768 pages in 2 s.
    assertThat(m.perVcpuPagesPerSecond()).isEqualTo(12288.0);
    assertThat(m.overallPagesPerSecond()).isEqualTo(16384.0);
    assertThat(m.selftestStylePerVcpu()).as("demand_paging_test: pages per vCPU / wall").isEqualTo(8192.0);
  }

  @Test
  void tableHasOneRowPerModeAndOneColumnPerCountAndNamesTheUnit() {
    String t = Report.table(CONFIG, cells());
    assertThat(t).contains("per-vCPU pages/s (mean over vCPUs of pages / own elapsed time; the unit of the series' table)");
    assertThat(t).contains("overall pages/s");
    assertThat(t.lines().filter(l -> l.startsWith("mode")).toList()).hasSize(2).allSatisfy(l -> assertThat(l.split("\\s+")).containsExactly("mode", "1", "2"));
    assertThat(t.lines().filter(l -> l.startsWith("none ")).findFirst().orElseThrow().split("\\s+")).containsExactly("none", "16384", "12288");
    assertThat(t.lines().filter(l -> l.startsWith("kvm-uf ")).findFirst().orElseThrow()).contains("unsupported");
    assertThat(t).contains("kvm-uf: unsupported: KVM_CAP_USERFAULT not offered by this kernel");
    assertThat(t).contains("checks: ok in all 4 measured cells");
  }

  @Test
  void aLostFaultOrAnUntouchedPageFailsTheChecks() {
    CellResult.Measured lost = measured(Mode.UFFD_SINGLE, 2, 16383, 32768);
    assertThat(lost.problems()).anySatisfy(p -> assertThat(p).contains("vCPU 0: 16383 faults served, expected 16384"));
    CellResult.Measured untouched = measured(Mode.NONE, 1, 0, 16380);
    assertThat(untouched.problems()).anySatisfy(p -> assertThat(p).contains("16380 of 16384 pages touched exactly once (4 untouched"));
    CellResult.Measured wrong = new CellResult.Measured(Mode.UFFD_PER_VCPU, 1, 16384, List.of(new CellResult.WorkerStat(0, 16384, 1, 16384)), 1,
        new Accounting(16384, 0, 0, 0, 3, 1, 0, List.of(16384L)));
    assertThat(wrong.problems()).containsExactly("3 faults outside the faulting vCPU's own chunk", "1 faults from a thread that is no vCPU");
    assertThat(Report.checks(List.of(lost))).startsWith("checks FAILED:");
  }

  @Test
  @SuppressWarnings("unchecked")
  void jsonCarriesConfigUnitsCellsAndChecks() {
    Map<String, Object> j = Report.json(CONFIG, cells());
    assertThat(j).containsKeys("bench", "target", "backing", "memPerVcpu", "pagesPerVcpu", "readers", "vcpus", "modes", "units", "cells", "checksOk", "problems");
    assertThat(j.get("checksOk")).isEqualTo(true);
    List<Map<String, Object>> cells = (List<Map<String, Object>>) j.get("cells");
    assertThat(cells).hasSize(6);
    assertThat(cells.get(1)).containsEntry("mode", "none").containsEntry("vcpus", 2).containsEntry("perVcpuPagesPerSecond", 12288L)
        .containsEntry("overallPagesPerSecond", 16384L).containsKeys("workers", "accounting", "problems");
    assertThat(cells.get(4)).containsEntry("supported", false).containsEntry("reason", "unsupported: KVM_CAP_USERFAULT not offered by this kernel")
        .doesNotContainKey("perVcpuPagesPerSecond");
  }

  @Test
  void svgIsWellFormedWithOneLinePerModeAndOneMarkPerMeasuredCell() throws Exception {
    String svg = SvgPlot.render(CONFIG, cells());
    Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    assertThat(d.getDocumentElement().getTagName()).isEqualTo("svg");
    NodeList groups = d.getElementsByTagName("g");
    assertThat(groups.getLength()).isEqualTo(3);
    assertThat(((Element) groups.item(2)).getAttribute("data-mode")).isEqualTo("kvm-uf");
    assertThat(d.getElementsByTagName("polyline").getLength()).as("none and uffd-single have two points each").isEqualTo(2);
    assertThat(d.getElementsByTagName("circle").getLength()).isEqualTo(4);
    assertThat(svg).contains("kvm-uf (unsupported)").contains("per-vCPU pages/s");
  }

  @Test
  void niceCeilRoundsUpToOneTwoOrFive() {
    assertThat(SvgPlot.niceCeil(0)).isEqualTo(1);
    assertThat(SvgPlot.niceCeil(12288)).isEqualTo(20000);
    assertThat(SvgPlot.niceCeil(300000)).isEqualTo(500000);
    assertThat(SvgPlot.niceCeil(1000)).isEqualTo(1000);
  }

  @Test
  void headerSaysWhenCellsAreMedians() {
    BenchConfig three = new BenchConfig(Target.THREADS, List.of(1), 64L << 20, List.of(Mode.NONE), 1, Backing.SHMEM, true, 3);
    assertThat(Report.header(three)).contains("each cell the median of 3 runs").contains("UFFDIO_CONTINUE (MINOR").contains("no KVM");
    assertThat(Report.header(CONFIG)).doesNotContain("median").contains("UFFDIO_COPY (MISSING)");
  }
}
