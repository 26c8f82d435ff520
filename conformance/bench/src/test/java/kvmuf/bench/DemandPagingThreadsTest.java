package kvmuf.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The bench's correctness on host threads (no KVM needed): every page touched exactly once, one fault served
 * per page, by the reader of the right uffd, attributed to the thread that owns the chunk. Not its speed.
 */
@Timeout(120)
public class DemandPagingThreadsTest {
  /** Skips, with the reason, where this user may not open a userfaultfd (vm.unprivileged_userfaultfd = 0). */
  public static void assumeUffd() {
    String reason = null;
    try (kvmuf.uffd.Userfaultfd u = kvmuf.uffd.Userfaultfd.open(0)) {
      // usable
    } catch (RuntimeException e) {
      reason = "unsupported: userfaultfd not usable here: " + e.getMessage();
      System.err.println("[skipped] " + reason);
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(reason == null, reason);
  }

  @org.junit.jupiter.api.BeforeEach
  void needsUffd() {
    assumeUffd();
  }
  static final long CHUNK = 1L << 20; // 256 pages

  static BenchConfig config(Backing backing, int readers, Mode... modes) {
    return new BenchConfig(Target.THREADS, List.of(3), CHUNK, List.of(modes), readers, backing, false);
  }

  @ParameterizedTest
  @EnumSource(Backing.class)
  void everyPageIsTouchedOnceAndEveryFaultServedOnce(Backing backing) {
    BenchConfig c = config(backing, 2, Mode.NONE, Mode.UFFD_SINGLE, Mode.UFFD_PER_VCPU);
    List<CellResult> cells = new DemandPagingBench(c, null, s -> {}).runAll();
    assertThat(cells).hasSize(3).allMatch(r -> r instanceof CellResult.Measured);
    for (CellResult r : cells) {
      CellResult.Measured m = (CellResult.Measured) r;
      assertThat(m.problems()).as("%s", m.mode()).isEmpty();
      assertThat(m.pagesPerVcpu()).isEqualTo(256);
      assertThat(m.accounting().touchedOnce()).isEqualTo(3 * 256);
      assertThat(m.accounting().untouched()).isZero();
      assertThat(m.accounting().overTouched()).isZero();
      for (CellResult.WorkerStat w : m.workers()) {
        assertThat(w.touched()).isEqualTo(256);
        assertThat(w.faults()).as("%s worker %d", m.mode(), w.index()).isEqualTo(m.mode() == Mode.NONE ? 0 : 256);
        assertThat(w.nanos()).isPositive();
      }
      long served = m.accounting().perReader().stream().mapToLong(Long::longValue).sum();
      switch (m.mode()) {
        case NONE -> assertThat(m.accounting().perReader()).isEmpty();
        case UFFD_SINGLE -> {
          assertThat(m.accounting().perReader()).as("--readers 2 on one uffd").hasSize(2);
          assertThat(served).isEqualTo(3 * 256);
        }
        case UFFD_PER_VCPU -> {
          assertThat(m.accounting().perReader()).as("one reader per uffd: each serves exactly its chunk").containsExactly(256L, 256L, 256L);
        }
        default -> throw new AssertionError(m.mode());
      }
      assertThat(m.accounting().wrongChunk()).isZero();
      assertThat(m.accounting().unknownThread()).isZero();
      assertThat(m.overallPagesPerSecond()).isPositive();
      assertThat(m.perVcpuPagesPerSecond()).isPositive();
    }
  }

  @Test
  void kvmUserfaultModesNeedVcpusAndSayWhy() {
    List<CellResult> cells = new DemandPagingBench(config(Backing.ANON, 1, Mode.KVM_UF, Mode.KVM_UF_UFFD), null, s -> {}).runAll();
    assertThat(cells).hasSize(2).allSatisfy(r -> {
      assertThat(r).isInstanceOf(CellResult.Unsupported.class);
      assertThat(((CellResult.Unsupported) r).reason()).startsWith("unsupported: ").contains("--target host");
    });
  }

  @Test
  void warmupDoesNotAddCells() {
    BenchConfig c = new BenchConfig(Target.THREADS, List.of(1, 2), CHUNK, List.of(Mode.UFFD_SINGLE), 1, Backing.ANON, true);
    List<CellResult> cells = new DemandPagingBench(c, null, s -> {}).runAll();
    assertThat(cells).extracting(CellResult::vcpus).containsExactly(1, 2);
    assertThat(Report.problems(cells)).isEmpty();
  }

  @Test
  void repeatReportsTheMedianRunAndKeepsEveryRate() {
    BenchConfig c = new BenchConfig(Target.THREADS, List.of(2), CHUNK, List.of(Mode.UFFD_PER_VCPU), 1, Backing.ANON, false, 3);
    List<CellResult> cells = new DemandPagingBench(c, null, s -> {}).runAll();
    assertThat(cells).hasSize(1);
    CellResult.Measured m = (CellResult.Measured) cells.get(0);
    assertThat(m.repeats()).hasSize(3);
    double[] sorted = m.repeats().stream().mapToDouble(Double::doubleValue).sorted().toArray();
    assertThat(m.perVcpuPagesPerSecond()).isEqualTo(sorted[1]);
    assertThat(m.problems()).isEmpty();
  }
}
