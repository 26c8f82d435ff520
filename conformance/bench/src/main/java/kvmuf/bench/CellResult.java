package kvmuf.bench;

import java.util.List;

/** The outcome of one mode at one vCPU count: figures, or the reason there are none (never a made-up number). */
public sealed interface CellResult {
  Mode mode();

  int vcpus();

  /** The mode cannot run here; {@code reason} starts with "unsupported: ". */
  record Unsupported(Mode mode, int vcpus, String reason) implements CellResult {}

  /**
   * A measured run.
   *
   * @param workers one entry per vCPU (or thread), in index order
   * @param wallNanos from the first vCPU's start to the last vCPU's end
   * @param repeats the per-vCPU rates of every measured run of this cell (this one is the median run); one entry
   *     without --repeat
   */
  record Measured(
      Mode mode, int vcpus, long pagesPerVcpu, List<WorkerStat> workers, long wallNanos, Accounting accounting, List<Double> repeats)
      implements CellResult {
    public Measured {
      workers = List.copyOf(workers);
      repeats = List.copyOf(repeats);
    }

    /** A single run, before repeats are attached (see DemandPagingBench#repeated). */
    public Measured(Mode mode, int vcpus, long pagesPerVcpu, List<WorkerStat> workers, long wallNanos, Accounting accounting) {
      this(mode, vcpus, pagesPerVcpu, workers, wallNanos, accounting, List.of());
    }

    /** This run with the rates of all runs of the cell attached. */
    public Measured withRepeats(List<Double> all) {
      return new Measured(mode, vcpus, pagesPerVcpu, workers, wallNanos, accounting, all);
    }

    /** Mean over vCPUs of (pages that vCPU touched / its own elapsed time): the per-vCPU figure reported. */
    public double perVcpuPagesPerSecond() {
      return workers.stream().mapToDouble(WorkerStat::pagesPerSecond).average().orElse(0);
    }

    /** All pages touched / wall time. */
    public double overallPagesPerSecond() {
      return wallNanos == 0 ? 0 : totalPages() * 1e9 / wallNanos;
    }

    /**
     * demand_paging_test's own "Per-vcpu demand paging rate": pages per vCPU / wall time of the whole run (not
     * a mean of per-vCPU rates). Used when comparing with the selftest, so both sides use one definition.
     */
    public double selftestStylePerVcpu() {
      return wallNanos == 0 ? 0 : pagesPerVcpu * 1e9 / wallNanos;
    }

    public long totalPages() {
      return pagesPerVcpu * vcpus;
    }

    /** The correctness checks: every page touched exactly once, every fault served once and by the right party. */
    public List<String> problems() {
      return accounting.problems(mode, pagesPerVcpu, workers);
    }
  }

  /**
   * One vCPU's (or thread's) share.
   *
   * @param touched what the vCPU reported touching (the guest agent's count, or the thread's loop count)
   * @param faults userfaultfd faults whose thread id is this vCPU's thread, resolved by a reader (uffd modes),
   *     or KVM Userfault exits it resolved (kvm-uf); 0 for none
   */
  record WorkerStat(int index, long touched, long nanos, long faults) {
    public double pagesPerSecond() {
      return nanos == 0 ? 0 : touched * 1e9 / nanos;
    }
  }
}
