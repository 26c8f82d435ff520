package kvmuf.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import kvmuf.cli.Kvmuf;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real boots under QEMU (slow: seconds to a minute each under TCG). Run by failsafe in the
 * {@code vm-tests} profile, which scripts/vm-tests.sh (and so .ci/run) uses; not part of the
 * default 'mvn verify', which must pass on machines without QEMU. Kernel: $KVMUF_VM_KERNEL or the
 * default 6.12 package.
 */
@Tag("vm")
class VmBootIT {
  private static final Progress PROGRESS = Progress.stderr(false);

  private static Kernel kernel() {
    return KernelSource.resolve(System.getenv("KVMUF_VM_KERNEL"), null, Cache.root(), PROGRESS);
  }

  @Test
  void aKernelWithoutAWorkingInitIsReportedAsAPanic(@TempDir Path tmp) throws Exception {
    // /init that is no executable format: the kernel tries its fallbacks, then panics.
    Path image = tmp.resolve("broken.cpio");
    try (OutputStream out = Files.newOutputStream(image); CpioWriter w = new CpioWriter(out)) {
      w.file("init", 0755, "not an executable\n".getBytes(StandardCharsets.UTF_8));
    }
    long t0 = System.nanoTime();
    VmRunner.Report r = new VmRunner(QemuLocator.locate(), kernel(), image, Duration.ofSeconds(180), PROGRESS)
        .run(List.of("/bin/true"), o -> {});
    System.err.printf("panic boot took %.1f s%n", (System.nanoTime() - t0) / 1e9);
    assertThat(r.outcome()).isInstanceOfSatisfying(VmOutcome.Panicked.class,
        p -> assertThat(p.reason()).contains("No working init found"));
  }

  @Test
  void theKitRunsInsideAndItsExitCodeComesBack() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream old = System.out;
    int code;
    try {
      System.setOut(new PrintStream(new TeeStream(out, old), true, StandardCharsets.UTF_8));
      code = Kvmuf.run("vm", "run", "--timeout", "300", "--", "--version");
    } finally {
      System.setOut(old);
    }
    assertThat(code).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8).lines()).containsExactly("kvm-userfault-kit 0.1.0");
    // An unknown subcommand inside the guest is a usage error there, and exit 2 here.
    System.err.println("VmBootIT: the next run must end in a usage error from the guest (exit 2):");
    assertThat(Kvmuf.run("vm", "run", "-q", "--timeout", "300", "--", "no-such-subcommand")).isEqualTo(2);
  }

  /** Copies to two streams, so the test both checks the output and shows it. */
  private static final class TeeStream extends OutputStream {
    private final List<OutputStream> to = new ArrayList<>();

    TeeStream(OutputStream a, OutputStream b) {
      to.add(a);
      to.add(b);
    }

    @Override
    public void write(int b) throws java.io.IOException {
      for (OutputStream o : to) {
        o.write(b);
      }
    }

    @Override
    public void write(byte[] b, int off, int len) throws java.io.IOException {
      for (OutputStream o : to) {
        o.write(b, off, len);
      }
    }
  }
}
