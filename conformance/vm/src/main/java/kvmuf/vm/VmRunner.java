package kvmuf.vm;

import kvmuf.proc.RunCleanup;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Boots a kernel under QEMU with a prepared initramfs, runs one command inside, and reports how it
 * ended. The command's output is handed to {@code sink} line by line as it arrives (the serial
 * console is read live), so a long test run shows progress.
 *
 * <p>QEMU runs with {@code -accel tcg -cpu max}: full emulation, whose CPU model exposes SVM, so
 * the guest's kvm-amd loads and /dev/kvm exists inside (nested KVM without host KVM). Where the
 * host has a usable /dev/kvm, {@code -accel kvm} goes first and TCG stays as QEMU's fallback.
 * {@code panic=-1} plus {@code -no-reboot} turn a guest panic into a QEMU exit, so a panic is
 * reported at once instead of as a timeout.
 */
public final class VmRunner {
  public static final int MEMORY_MIB = 2048;
  public static final int CPUS = 2;
  /** Console lines kept for the error message when a boot fails. */
  private static final int TAIL = 20;

  private final Path qemu;
  private final Kernel kernel;
  private final Path image;
  private final Duration timeout;
  private final Progress progress;

  public VmRunner(Path qemu, Kernel kernel, Path image, Duration timeout, Progress progress) {
    this.qemu = qemu;
    this.kernel = kernel;
    this.image = image;
    this.timeout = timeout;
    this.progress = progress;
  }

  /** Everything the guest reported, besides the command's output. */
  public record Report(VmOutcome outcome, Optional<String> kernelRelease, List<String> log) {
    /** The guest command's exit code; only a run whose outcome is {@link VmOutcome.Exited} has one. */
    public int exitCode() {
      if (outcome instanceof VmOutcome.Exited e) {
        return e.code();
      }
      throw new IllegalStateException("the guest command did not finish: " + outcome);
    }
  }

  public List<String> qemuCommand(Path initrd, boolean hostKvm) {
    List<String> cmd = new ArrayList<>(List.of(qemu.toString()));
    if (hostKvm) {
      cmd.addAll(List.of("-accel", "kvm"));
    }
    // thread=single: with one host thread per vCPU (MTTCG) the nested-SVM guest was seen to oops
    // now and then ("Fatal exception in interrupt", an int3 in the scheduler during a memslot
    // update); one TCG thread for all vCPUs ran clean.
    cmd.addAll(List.of("-accel", "tcg,thread=single", "-cpu", "max", "-m", Integer.toString(MEMORY_MIB),
        "-smp", Integer.toString(CPUS), "-nodefaults", "-display", "none", "-serial", "stdio",
        "-no-reboot", "-kernel", kernel.image().toString(), "-initrd", initrd.toString(),
        "-append", String.join(" ", appendLine())));
    return cmd;
  }

  /**
   * The kernel command line: serial console, quiet, reboot (QEMU exit) at once on a panic, no IO-APIC timer
   * check, then the kernel's own words. The timer check counts ticks against a busy loop, which TCG on a loaded
   * host fails ("IO-APIC + timer doesn't work!" panics the boot; seen on the shared build machine at load 17).
   */
  List<String> appendLine() {
    List<String> words = new ArrayList<>(List.of("console=ttyS0", "quiet", "panic=-1", "no_timer_check"));
    words.addAll(kernel.bootArgs());
    return words;
  }

  /** Runs {@code guestCommand} (argv inside the guest) and streams its output to {@code sink}. */
  public Report run(List<String> guestCommand, Consumer<SerialFraming.Output> sink) throws IOException {
    String nonce = SerialFraming.newNonce();
    Path dir = Files.createTempDirectory("kvmuf-vm");
    RunCleanup.deleteOnExit(dir); // SIGINT/SIGTERM never reach the finally below
    Path initrd = dir.resolve("initrd");
    Process started = null;
    try {
      try (OutputStream out = Files.newOutputStream(initrd)) {
        long n = Files.copy(image, out);
        out.write(new byte[(int) ((4 - n % 4) % 4)]); // the next archive starts 4-byte aligned
        out.write(InitramfsBuilder.perRunArchive(nonce, guestCommand));
      }
      boolean hostKvm = QemuLocator.hostKvmUsable();
      progress.say("booting " + kernel.label() + " under QEMU (" + (hostKvm ? "kvm" : "tcg")
          + ", timeout " + timeout.toSeconds() + " s)");
      Process p;
      try {
        p = new ProcessBuilder(qemuCommand(initrd, hostKvm))
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .start();
      } catch (IOException e) {
        throw VmException.environment("cannot start " + qemu + ": " + e.getMessage());
      }
      started = p;
      RunCleanup.killOnExit(p);
      StringBuilder qemuErr = new StringBuilder();
      Thread errReader = Thread.ofVirtual().start(() -> drain(p.getErrorStream(), qemuErr));
      Thread watchdog = Thread.ofVirtual().start(() -> {
        try {
          if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
          }
        } catch (InterruptedException e) {
          // the run ended first
        }
      });
      long start = System.nanoTime();
      Classifier c = new Classifier(nonce, sink, progress);
      try (Reader r = new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)) {
        char[] buf = new char[8192];
        for (int n; (n = r.read(buf)) > 0; ) {
          c.feed(new String(buf, 0, n));
        }
      }
      int qemuExit;
      try {
        qemuExit = p.waitFor();
        errReader.join();
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
        throw VmException.environment("interrupted");
      }
      watchdog.interrupt();
      if (RunCleanup.stopping() || qemuErr.toString().contains("terminating on signal")) {
        // SIGINT/SIGTERM: "failed to boot" or a guest verdict would be a false report.
        throw VmException.environment("stopped by a signal: QEMU killed, its temporary folder removed");
      }
      boolean timedOut = System.nanoTime() - start >= timeout.toNanos() && !c.exited();
      VmOutcome o = c.finish(qemuExit, qemuErr.toString(), timedOut, timeout.toSeconds());
      return new Report(o, c.kernelRelease(), c.log());
    } finally {
      if (started != null) {
        RunCleanup.kill(started); // a no-op when QEMU exited; kills it when reading its console failed
        RunCleanup.forget(started);
      }
      Tools.deleteTree(dir);
      RunCleanup.forget(dir);
    }
  }

  private static void drain(InputStream in, StringBuilder into) {
    try {
      String s = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      synchronized (into) {
        into.append(s);
      }
    } catch (IOException e) {
      // QEMU went away; what we have is what there is
    }
  }

  /**
   * Turns the console stream into output lines and, at the end, an outcome. Separate from the
   * process handling so the verdicts can be tested on captured consoles.
   */
  static final class Classifier {
    private final SerialFraming framing;
    private final Consumer<SerialFraming.Output> sink;
    private final Progress progress;
    private final Deque<String> tail = new ArrayDeque<>();
    private final List<String> log = new ArrayList<>();
    private Optional<String> release = Optional.empty();
    private Optional<String> panic = Optional.empty();
    private Optional<Integer> exit = Optional.empty();
    private final long started = System.nanoTime();

    private double seconds() {
      return (System.nanoTime() - started) / 1e9;
    }

    Classifier(String nonce, Consumer<SerialFraming.Output> sink, Progress progress) {
      this.framing = new SerialFraming(nonce);
      this.sink = sink;
      this.progress = progress;
    }

    void feed(String chunk) {
      framing.feed(chunk).forEach(this::accept);
    }

    boolean exited() {
      return exit.isPresent();
    }

    Optional<String> kernelRelease() {
      return release;
    }

    List<String> log() {
      return log;
    }

    private void accept(SerialFraming.Event e) {
      switch (e) {
        case SerialFraming.Output o -> sink.accept(o);
        case SerialFraming.Log l -> {
          log.add(l.text());
          progress.say(String.format("guest: %s (%.1f s)", l.text(), seconds()));
        }
        case SerialFraming.KernelRelease k -> {
          release = Optional.of(k.release());
          progress.say(String.format("guest kernel %s is up after %.1f s", k.release(), seconds()));
        }
        case SerialFraming.Exit x -> {
          exit = Optional.of(x.code());
          progress.say(String.format("guest command exited with %d after %.1f s in all", x.code(), seconds()));
        }
        case SerialFraming.Console c -> {
          String line = c.line().strip();
          if (!line.isEmpty()) {
            tail.addLast(line);
            if (tail.size() > TAIL) {
              tail.removeFirst();
            }
          }
          int at = line.indexOf("Kernel panic - not syncing:");
          if (at >= 0 && panic.isEmpty()) {
            String reason = line.substring(at + "Kernel panic - not syncing:".length()).strip();
            panic = Optional.of(reason.replaceAll("\\s*\\]---$", ""));
          }
        }
      }
    }

    VmOutcome finish(int qemuExit, String qemuStderr, boolean timedOut, long timeoutSeconds) {
      framing.finish().forEach(this::accept);
      if (exit.isPresent()) {
        return new VmOutcome.Exited(exit.get(), release);
      }
      if (panic.isPresent()) {
        return new VmOutcome.Panicked(panic.get());
      }
      if (timedOut) {
        return new VmOutcome.TimedOut(timeoutSeconds, tail.isEmpty() ? "" : tail.getLast());
      }
      String err = qemuStderr.lines().map(String::strip).filter(l -> !l.isEmpty()).findFirst().orElse("");
      if (!err.isEmpty()) {
        return new VmOutcome.BootFailed("QEMU exited with " + qemuExit + ": " + err);
      }
      return new VmOutcome.BootFailed(release.isEmpty()
          ? "the guest stopped before its init started" + (tail.isEmpty() ? "" : "; last console line: " + tail.getLast())
          : "the guest stopped before the command finished" + (tail.isEmpty() ? "" : "; last console line: " + tail.getLast()));
    }
  }
}
