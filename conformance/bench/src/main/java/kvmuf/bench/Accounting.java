package kvmuf.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * What the bench checked after a run, so a figure is only reported for a run that did what it claims.
 *
 * @param touchedOnce pages whose marker word reads exactly 1 after the run (each touch adds 1)
 * @param untouched pages whose marker word is still 0
 * @param overTouched pages touched more than once (marker above 1)
 * @param exists UFFDIO_COPY/CONTINUE answered EEXIST (a second event for a page already installed; woken with UFFDIO_WAKE)
 * @param wrongChunk faults whose address lies outside the faulting vCPU's own chunk
 * @param unknownThread faults reported for a thread id that is no vCPU's
 * @param emptyWakeups poll said readable but another reader had taken the message (EAGAIN): the herd on one uffd
 * @param perReader faults each reader thread resolved
 */
public record Accounting(
    long touchedOnce,
    long untouched,
    long overTouched,
    long exists,
    long wrongChunk,
    long unknownThread,
    long emptyWakeups,
    List<Long> perReader) {

  public Accounting {
    perReader = List.copyOf(perReader);
  }

  List<String> problems(Mode mode, long pagesPerVcpu, List<CellResult.WorkerStat> workers) {
    List<String> p = new ArrayList<>();
    long total = pagesPerVcpu * workers.size();
    if (touchedOnce != total) {
      p.add(touchedOnce + " of " + total + " pages touched exactly once (" + untouched + " untouched, " + overTouched + " more than once)");
    }
    for (CellResult.WorkerStat w : workers) {
      if (w.touched() != pagesPerVcpu) p.add("vCPU " + w.index() + " reported " + w.touched() + " touches, expected " + pagesPerVcpu);
      boolean faultsExpected = mode != Mode.NONE;
      long want = faultsExpected ? pagesPerVcpu : 0;
      if (w.faults() != want) p.add("vCPU " + w.index() + ": " + w.faults() + " faults served, expected " + want);
    }
    if (wrongChunk != 0) p.add(wrongChunk + " faults outside the faulting vCPU's own chunk");
    if (unknownThread != 0) p.add(unknownThread + " faults from a thread that is no vCPU");
    if (mode.usesUffd() && !mode.usesKvmUserfault()) {
      long served = perReader.stream().mapToLong(Long::longValue).sum();
      if (served != total) p.add("readers served " + served + " faults, expected " + total);
    }
    return p;
  }
}
