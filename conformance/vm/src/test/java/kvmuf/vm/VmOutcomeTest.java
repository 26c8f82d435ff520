package kvmuf.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The verdicts the runner reaches from a captured console, QEMU's exit and stderr. */
class VmOutcomeTest {
  static final String N = SerialFramingTest.N;
  private final List<SerialFraming.Output> out = new ArrayList<>();

  private VmRunner.Classifier classifier() {
    return new VmRunner.Classifier(N, out::add, new Progress(new PrintStream(new ByteArrayOutputStream()), false));
  }

  @Test
  void aTrailerMeansTheCommandRan() {
    VmRunner.Classifier c = classifier();
    c.feed(N + " K 6.1.0-47-cloud-amd64\n" + N + " O hi\n" + N + " X 7\n");
    assertThat(c.finish(0, "", false, 60)).isEqualTo(new VmOutcome.Exited(7, Optional.of("6.1.0-47-cloud-amd64")));
    assertThat(out).containsExactly(new SerialFraming.Output(false, "hi"));
  }

  @Test
  void aPanicIsReportedWithItsReason() {
    // Captured from a 6.12 boot whose /init exited at once.
    VmRunner.Classifier c = classifier();
    c.feed("[    1.612345] Run /init as init process\r\n"
        + "[    1.650000] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000000\r\n"
        + "[    1.651000] CPU: 0 UID: 0 PID: 1 Comm: init Not tainted 6.12.117+deb12-cloud-amd64 #1\r\n"
        + "[    1.660000] ---[ end Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000000 ]---\r\n");
    VmOutcome o = c.finish(0, "", false, 60);
    assertThat(o).isEqualTo(new VmOutcome.Panicked("Attempted to kill init! exitcode=0x00000000"));
    assertThat(VmOutcome.describe(o, "k")).isEqualTo(
        "guest kernel panicked (k): Attempted to kill init! exitcode=0x00000000").doesNotContain("\n");
  }

  @Test
  void aPanicAfterTheCommandStartedIsStillAPanic() {
    VmRunner.Classifier c = classifier();
    c.feed(N + " K 6.12\n" + N + " O partial output\n"
        + "Kernel panic - not syncing: Fatal exception\n");
    assertThat(c.finish(0, "", false, 60)).isEqualTo(new VmOutcome.Panicked("Fatal exception"));
  }

  @Test
  void qemuRefusingTheKernelIsABootFailure() {
    VmRunner.Classifier c = classifier();
    VmOutcome o = c.finish(1, "qemu-system-x86_64: Error loading uncompressed kernel without PVH ELF Note\n", false, 60);
    assertThat(o).isEqualTo(new VmOutcome.BootFailed(
        "QEMU exited with 1: qemu-system-x86_64: Error loading uncompressed kernel without PVH ELF Note"));
  }

  @Test
  void aGuestThatStopsWithoutATrailerIsABootFailure() {
    VmRunner.Classifier c = classifier();
    c.feed(N + " K 6.12\n" + N + " O started\n" + "reboot: Power down\n");
    VmOutcome o = c.finish(0, "", false, 60);
    assertThat(o).isInstanceOf(VmOutcome.BootFailed.class);
    assertThat(((VmOutcome.BootFailed) o).reason()).contains("before the command finished").contains("reboot: Power down");
  }

  @Test
  void aTimeoutNamesTheLastConsoleLine() {
    VmRunner.Classifier c = classifier();
    c.feed("[ 0.5] Booting\n[ 0.9] stuck here\n");
    assertThat(c.finish(137, "", true, 42)).isEqualTo(new VmOutcome.TimedOut(42, "[ 0.9] stuck here"));
  }

  @Test
  void hostKvmNeedsAVirtualizationFlag() {
    assertThat(QemuLocator.hasVirtualizationFlag(List.of("flags\t\t: fpu vme hypervisor lahf_lm"))).isFalse();
    assertThat(QemuLocator.hasVirtualizationFlag(List.of("flags\t\t: fpu vmx ept"))).isTrue();
    assertThat(QemuLocator.hasVirtualizationFlag(List.of("flags\t\t: fpu svm npt"))).isTrue();
    assertThat(QemuLocator.hasVirtualizationFlag(List.of("flags\t\t: fpu vmxx"))).isFalse();
  }
}
