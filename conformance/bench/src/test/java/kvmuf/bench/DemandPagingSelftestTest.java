package kvmuf.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The selftest side of --compare-selftest without building it: flags per mode, and parsing its output. */
class DemandPagingSelftestTest {
  static BenchConfig config(Backing b, int readers) {
    return new BenchConfig(Target.HOST, List.of(2), 64L << 20, List.of(Mode.NONE), readers, b, true);
  }

  @Test
  void eachModeMapsToTheSelftestsFlags() {
    BenchConfig anon = config(Backing.ANON, 4);
    assertThat(Selftest.args(anon, Mode.NONE, 2)).containsExactly("-b", "64M", "-v", "2");
    assertThat(Selftest.args(anon, Mode.UFFD_SINGLE, 8)).containsExactly("-b", "64M", "-v", "8", "-a", "-u", "MISSING", "-r", "4");
    assertThat(Selftest.args(anon, Mode.UFFD_PER_VCPU, 8)).containsExactly("-b", "64M", "-v", "8", "-u", "MISSING", "-r", "1");
    assertThat(Selftest.args(anon, Mode.KVM_UF, 2)).as("6.12 has no -k").isEmpty();
    BenchConfig shmem = config(Backing.SHMEM, 1);
    assertThat(Selftest.args(shmem, Mode.UFFD_SINGLE, 2)).containsExactly("-b", "64M", "-v", "2", "-a", "-u", "MINOR", "-r", "1", "-s", "shmem");
  }

  @Test
  void parsesTheLastRatesPrinted() {
    String out = """
        Testing guest mode: PA-bits:ANY, VA-bits:48,  4K pages
        Total guest execution time:\t3.642349244s
        Per-vcpu demand paging rate:\t4498.195780 pgs/sec/vcpu
        Overall demand paging rate:\t8996.391561 pgs/sec
        """;
    Selftest.Rates r = Selftest.parse(out);
    assertThat(r.perVcpu()).isEqualTo(4498.195780);
    assertThat(r.overall()).isEqualTo(8996.391561);
    assertThatThrownBy(() -> Selftest.parse("==== Test Assertion Failure ====")).hasMessageContaining("no rates");
  }

  @Test
  void sizesAreWrittenTheWayTheSelftestReadsThem() {
    assertThat(Sizes.selftestSize(64L << 20)).isEqualTo("64M");
    assertThat(Sizes.selftestSize(1L << 30)).isEqualTo("1G");
    assertThat(Sizes.selftestSize(12L << 10)).isEqualTo("12K");
  }
}
