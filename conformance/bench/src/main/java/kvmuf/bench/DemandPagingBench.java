package kvmuf.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import kvmuf.kvm.Kvm;
import kvmuf.kvm.UnsupportedFeatureException;
import kvmuf.sys.Libc;

/**
 * Runs the cells of a {@link BenchConfig}: for each mode and vCPU count, a fresh region (and VM), the fault
 * server for the mode, one worker thread per vCPU released together, then the checks (every page touched
 * exactly once, one fault served per page and vCPU, each fault in the faulting vCPU's own chunk).
 *
 * <p>Each worker times itself from the common start to the end of its own touching; the wall time runs from the
 * first start to the last end. Setup (mapping, registering, starting the VM and readers) and verification are
 * outside both.
 */
public final class DemandPagingBench {
  /** A run that has not finished after this long has lost a fault (a vCPU waits forever): stop it and say so. */
  static final long CELL_TIMEOUT_SECONDS = 600;
  /**
   * The warm-up: one unmeasured single-worker run per mode over this much memory (49152 pages), before any cell.
   * HotSpot compiles a hot loop with C2 after some tens of thousands of iterations (Tier4BackEdgeThreshold is
   * 40000); a smaller warm-up (first tried: 1 MiB, then 16 MiB per cell) left the first cells measured partly
   * in the interpreter, several times slower than the same cell run later. Under QEMU TCG a fault costs
   * milliseconds, so --warmup-size lets a VM run use less.
   */
  public static final long WARMUP_BYTES = 192L << 20;

  private final BenchConfig config;
  private final Kvm kvm;
  private final Consumer<String> progress;

  /** {@code kvm} is the open /dev/kvm for host runs, null for --target threads. */
  public DemandPagingBench(BenchConfig config, Kvm kvm, Consumer<String> progress) {
    if (config.target() == Target.VM) throw new IllegalArgumentException("--target vm runs the host bench inside the VM; see VmDelegate");
    if (config.target() == Target.HOST && kvm == null) throw new IllegalArgumentException("--target host needs /dev/kvm");
    this.config = config;
    this.kvm = kvm;
    this.progress = progress;
  }

  /** Every cell, modes in the order given, vCPU counts in the order given. */
  public List<CellResult> runAll() {
    List<CellResult> out = new ArrayList<>();
    if (config.warmup()) {
      for (Mode mode : config.modes()) {
        progress.accept("warm-up: " + mode + " (unmeasured)...");
        runCell(mode, 1, config.warmupBytes()); // an unsupported mode answers at once
      }
    }
    for (Mode mode : config.modes()) {
      for (int n : config.vcpus()) {
        progress.accept(mode + " with " + n + (config.target() == Target.THREADS ? " threads" : " vCPUs") + "...");
        out.add(repeated(mode, n));
      }
    }
    return out;
  }

  /**
   * {@code repeat} runs of a cell; reports the run with the median per-vCPU rate, or the first run whose checks
   * failed (a failed check must not be hidden behind a good median).
   */
  CellResult repeated(Mode mode, int n) {
    List<CellResult.Measured> runs = new ArrayList<>();
    for (int k = 0; k < config.repeat(); k++) {
      CellResult r = runCell(mode, n, config.memPerVcpu());
      if (!(r instanceof CellResult.Measured m)) return r;
      if (!m.problems().isEmpty()) return m;
      runs.add(m);
    }
    List<Double> rates = runs.stream().map(CellResult.Measured::perVcpuPagesPerSecond).toList();
    List<CellResult.Measured> sorted = new ArrayList<>(runs);
    sorted.sort(java.util.Comparator.comparingDouble(CellResult.Measured::perVcpuPagesPerSecond));
    return sorted.get((sorted.size() - 1) / 2).withRepeats(rates);
  }

  /** One cell: {@code n} workers each touching {@code chunk} bytes under {@code mode}. */
  public CellResult runCell(Mode mode, int n, long chunk) {
    if (config.target() == Target.THREADS && mode.usesKvmUserfault()) {
      return new CellResult.Unsupported(
          mode, n, "unsupported: " + mode + " needs vCPUs (KVM Userfault is a KVM exit); use --target host or vm");
    }
    try (Region region = Region.create(config.backing(), chunk, n)) {
      region.prepare(mode);
      FaultServer server =
          mode.usesUffd() ? new FaultServer(region, mode.perVcpuUffd(), mode.perVcpuUffd() ? 1 : config.readers()) : null;
      try {
        Toucher toucher;
        try {
          toucher = config.target() == Target.THREADS ? new ThreadToucher(region) : new VcpuToucher(kvm, region, mode, server);
        } catch (UnsupportedFeatureException e) {
          return new CellResult.Unsupported(mode, n, unsupportedReason(e.getMessage()));
        }
        try (toucher) {
          return measure(mode, n, region, server, toucher);
        }
      } finally {
        if (server != null) server.close();
      }
    }
  }

  /** The table's fixed phrase first, the kernel's details after it. */
  static String unsupportedReason(String message) {
    String fixed = "unsupported: KVM_CAP_USERFAULT not offered by this kernel";
    return message.startsWith(fixed) ? fixed : message;
  }

  private CellResult measure(Mode mode, int n, Region region, FaultServer server, Toucher toucher) {
    int[] tids = new int[n];
    long[] start = new long[n], end = new long[n], touched = new long[n];
    CountDownLatch ready = new CountDownLatch(n), go = new CountDownLatch(1), done = new CountDownLatch(n);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      final int w = i;
      Thread t = new Thread(() -> {
        try {
          toucher.prepare(w);
          tids[w] = Libc.gettid();
          ready.countDown();
          go.await();
          start[w] = System.nanoTime();
          touched[w] = toucher.touch(w);
          end[w] = System.nanoTime();
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
          ready.countDown();
        } finally {
          done.countDown();
        }
      }, (config.target() == Target.THREADS ? "toucher-" : "vcpu-") + i);
      t.setDaemon(true); // a vCPU stuck on a lost fault must not keep the JVM alive
      threads.add(t);
      t.start();
    }
    boolean timedOut = false;
    try {
      ready.await();
      Map<Integer, Integer> byTid = new HashMap<>();
      for (int i = 0; i < n; i++) byTid.put(tids[i], i);
      if (server != null) server.start(byTid);
      go.countDown();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CELL_TIMEOUT_SECONDS);
      while (!done.await(100, TimeUnit.MILLISECONDS)) {
        boolean readerFailed = server != null && server.failed();
        if (readerFailed || System.nanoTime() > deadline) {
          // Closing the uffds wakes every blocked vCPU: the run ends, and the checks report what went missing.
          timedOut = !readerFailed;
          if (server != null) server.closeUffds();
          if (!done.await(30, TimeUnit.SECONDS)) throw new IllegalStateException("workers still blocked after closing the userfaultfds");
          break;
        }
      }
      if (server != null) server.stopAndJoin();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    if (failure.get() != null) throw new IllegalStateException("worker failed: " + failure.get(), failure.get());
    if (server != null && server.failed()) throw new IllegalStateException("uffd reader failed: " + server.failure(), server.failure());
    if (server != null) server.closeUffds(); // before verify: a read of a still-missing page would block
    long[] v = region.verify();
    List<CellResult.WorkerStat> workers = new ArrayList<>();
    long first = Long.MAX_VALUE, last = Long.MIN_VALUE;
    for (int i = 0; i < n; i++) {
      long faults = (server != null && !mode.usesKvmUserfault() ? server.faults(i) : 0) + toucher.selfResolved(i);
      workers.add(new CellResult.WorkerStat(i, touched[i], end[i] - start[i], faults));
      first = Math.min(first, start[i]);
      last = Math.max(last, end[i]);
    }
    Accounting acc =
        new Accounting(
            v[0],
            v[1],
            v[2],
            server == null ? 0 : server.exists(),
            server == null ? 0 : server.wrongChunk(),
            server == null ? 0 : server.unknownThread(),
            server == null ? 0 : server.emptyWakeups(),
            server == null ? List.of() : server.perReader());
    CellResult.Measured m = new CellResult.Measured(mode, n, region.pagesPerChunk(), workers, last - first, acc);
    if (timedOut) throw new IllegalStateException("lost fault: " + mode + " with " + n + " workers did not finish in " + CELL_TIMEOUT_SECONDS + " s; " + m.problems());
    return m;
  }
}
