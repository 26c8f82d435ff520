package kvmuf.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The kernel log as the kit reads it: records in order, WARNs picked out. */
class KernelLogTest {
  @Test
  void warningsAreTheRecordsAWarnOnPrints() {
    List<String> log = List.of("kvm: Nested Paging enabled",
        "WARNING: CPU: 1 PID: 77 at arch/x86/kvm/mmu/mmu.c:7001 recover_huge_pages_range+0x1/0x2",
        "Modules linked in:", "a WARNING: in the middle is not one");
    assertThat(KernelLog.warningsIn(log)).containsExactly(log.get(1));
  }

  @Test
  void aRecordWrittenToKmsgIsReadBackLast() throws Exception {
    Path kmsg = Path.of(KernelLog.DEVICE);
    boolean canWrite = Files.isWritable(kmsg) && Files.isReadable(kmsg);
    if (!canWrite) System.err.println("[skipped] " + kmsg + " is not readable and writable here (needs root)");
    assumeTrue(canWrite, kmsg + " needs root");
    String marker = "kvmuf-test: kernel log marker " + UUID.randomUUID();
    Files.writeString(kmsg, marker + "\n");
    Optional<List<String>> records = KernelLog.read();
    assertThat(records).isPresent();
    assertThat(records.get()).contains(marker);
    assertThat(records.get().getLast()).isEqualTo(marker);
  }
}
