package kvmuf.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code kvmuf bench demand-paging} on the command line: bad input is one line and exit 2; a small threads run end to end. */
@Timeout(120)
class DemandPagingCommandTest {
  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    CliRun r = CliRun.inProcess(args);
    return new Run(r.rc(), r.out(), r.err());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "--mode none,bogus|unknown mode 'bogus' (known: none, uffd-single, uffd-per-vcpu, kvm-uf, kvm-uf+uffd)",
    "--mode none,none|mode 'none' given twice",
    "--mem-per-vcpu 12Q|bad size '12Q'",
    "--mem-per-vcpu 5000|must be a multiple of 4 KiB",
    "--mem-per-vcpu 0|must be positive",
    "--vcpus 1,x|'x' is not a number",
    "--vcpus 0|0 is outside 1..1024",
    "--vcpus 2,2|2 given twice",
    "--readers 0|--readers must be at least 1",
    "--repeat 0|--repeat must be at least 1",
    "--warmup-size 3K|bad size '3K'",
    "--backing hugetlb|unknown backing 'hugetlb'",
    "--target cloud|unknown target 'cloud'",
    "--target host --vcpus 64 --mem-per-vcpu 64M|does not fit below 4 GiB",
  })
  void badInputIsOneLineAndExitTwo(String options, String message) {
    String[] opts = options.split(" ");
    String[] args = new String[2 + opts.length];
    args[0] = "bench";
    args[1] = "demand-paging";
    System.arraycopy(opts, 0, args, 2, opts.length);
    Run r = run(args);
    assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err().strip().lines()).hasSize(1);
    assertThat(r.err()).startsWith("kvmuf: ").contains(message).doesNotContain("Exception");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void vmTargetWithoutTheRunnerIsExitThreeInOneLine() {
    var saved = BenchDemandPagingCommand.vmLocator;
    try {
      BenchDemandPagingCommand.vmLocator = java.util.Optional::empty;
      Run r = run("bench", "demand-paging", "--target", "vm", "--vcpus", "1,2", "--json");
      assertThat(r.code()).isEqualTo(ExitCodes.ENVIRONMENT);
      assertThat(r.err().strip()).isEqualTo("kvmuf: the VM runner is not available in this build");
      assertThat(r.out()).isEmpty();
    } finally {
      BenchDemandPagingCommand.vmLocator = saved;
    }
  }

  @Test
  void thisBuildRegistersTheVmRunner() {
    assertThat(kvmuf.bench.VmDelegate.locate()).get().isInstanceOf(kvmuf.vm.VmBenchDelegate.class);
  }

  @Test
  void aSystemCallTheMachineRefusesIsExitThreeInOneLine() {
    // 1024 x 1 TiB is more address space than x86_64 user space has: mmap answers ENOMEM.
    Run r = run("bench", "demand-paging", "--target", "threads", "--vcpus", "1024", "--mem-per-vcpu", "1T", "--mode", "none", "--no-warmup");
    assertThat(r.code()).isEqualTo(ExitCodes.ENVIRONMENT);
    assertThat(r.err().strip().lines()).hasSize(1);
    assertThat(r.err()).startsWith("kvmuf: bench stopped: mmap").doesNotContain("\tat ");
  }

  @Test
  void compareSelftestNeedsVcpus() {
    Run r = run("bench", "demand-paging", "--target", "threads", "--vcpus", "1", "--mem-per-vcpu", "64K", "--mode", "none", "--no-warmup", "--compare-selftest");
    assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err().strip()).isEqualTo("kvmuf: --compare-selftest needs vCPUs: use --target host or vm");
  }

  @Test
  void threadsRunPrintsJsonAndWritesThePlot(@TempDir Path dir) throws Exception {
    kvmuf.bench.DemandPagingThreadsTest.assumeUffd();
    Path svg = dir.resolve("dp.svg");
    Run r = run("bench", "demand-paging", "--target", "threads", "--vcpus", "1,2", "--mem-per-vcpu", "256K",
        "--mode", "none,uffd-single,uffd-per-vcpu,kvm-uf", "--readers", "2", "--no-warmup", "--json", "--plot", svg.toString());
    assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.OK);
    JsonNode j = Json.mapper().readTree(r.out());
    assertThat(j.path("target").asText()).isEqualTo("threads");
    assertThat(j.path("pagesPerVcpu").asLong()).isEqualTo(64);
    assertThat(j.path("checksOk").asBoolean()).isTrue();
    assertThat(j.path("cells")).hasSize(8);
    for (JsonNode c : j.path("cells")) {
      if (c.path("mode").asText().equals("kvm-uf")) {
        assertThat(c.path("supported").asBoolean()).isFalse();
        assertThat(c.path("reason").asText()).startsWith("unsupported: ");
      } else {
        assertThat(c.path("perVcpuPagesPerSecond").asLong()).isPositive();
        assertThat(c.path("accounting").path("touchedOnce").asLong()).isEqualTo(64L * c.path("vcpus").asInt());
      }
    }
    assertThat(Files.readString(svg)).startsWith("<svg").contains("data-mode=\"uffd-single\"");
  }

  @Test
  void textRunShowsTheTables() {
    kvmuf.bench.DemandPagingThreadsTest.assumeUffd();
    Run r = run("bench", "demand-paging", "--target", "threads", "--vcpus", "2", "--mem-per-vcpu", "128K", "--mode", "uffd-per-vcpu", "--no-warmup");
    assertThat(r.code()).isEqualTo(ExitCodes.OK);
    assertThat(r.out()).contains("per-thread pages/s").contains("overall pages/s").contains("uffd-per-vcpu").contains("checks: ok");
  }

  @Test
  void vmTargetRunsTheHostBenchInsideTheVmAndPassesItsOutputThrough() {
    java.util.List<java.util.List<String>> calls = new java.util.ArrayList<>();
    kvmuf.bench.VmDelegate fake = new kvmuf.bench.VmDelegate() {
      @Override
      public Outcome runKvmuf(java.util.List<String> args) {
        calls.add(args);
        return new Outcome(0, "{\"target\" : \"host\"}\n", "");
      }

      @Override
      public String describe() {
        return "fake VM";
      }
    };
    var saved = BenchDemandPagingCommand.vmLocator;
    try {
      BenchDemandPagingCommand.vmLocator = () -> java.util.Optional.of(fake);
      Run r = run("bench", "demand-paging", "--target", "vm", "--vcpus", "1,2", "--mode", "none,uffd-single,uffd-per-vcpu",
          "--mem-per-vcpu", "64M", "--readers", "2", "--repeat", "3", "--json");
      assertThat(r.code()).isEqualTo(ExitCodes.OK);
      assertThat(calls).containsExactly(java.util.List.of("bench", "demand-paging", "--target", "host", "--vcpus", "1,2",
          "--mem-per-vcpu", "64M", "--mode", "none,uffd-single,uffd-per-vcpu", "--readers", "2", "--backing", "anon",
          "--json", "--warmup-size", "192M", "--repeat", "3"));
      assertThat(r.out()).isEqualTo("{\"target\" : \"host\"}\n");
    } finally {
      BenchDemandPagingCommand.vmLocator = saved;
    }
  }
}
