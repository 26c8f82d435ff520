package kvmuf.explore;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import kvmuf.check.CheckResult;
import kvmuf.check.TraceState;
import kvmuf.check.Verdict;
import kvmuf.model.Config;
import kvmuf.model.Invariant;
import kvmuf.model.InvariantCheck;
import kvmuf.model.Model;
import kvmuf.model.State;
import kvmuf.model.StateBits;

/**
 * Parallel breadth-first search of the Java model, checking what TLC checks: the config's
 * invariants on every new state (in the config's order), deadlock (a state with no successor;
 * the spec's Finished step makes a completed run a self-loop), vCPU symmetry as the config asks.
 * It searches strictly level by level (every state of depth d is expanded before any of depth
 * d+1); when a level shows a violation, the search stops after that level and reports a shortest
 * counterexample. The report does not depend on the worker count or thread timing: a deadlock,
 * found one level earlier, wins; then the invariant first in the config's order; then the
 * smallest fingerprint; and the path to it is rebuilt level by level from the predecessor with the
 * smallest fingerprint (see {@link #shortestChain}), not from whichever worker stored it first.
 */
public final class Explorer {
  private static final int CLAIM = 256;
  /** A worker asks the seen-set about its successors in batches of about BATCH (at most PENDING). */
  private static final int BATCH = 48;
  private static final int PENDING = 128;
  /** Entries of a worker's cache of fingerprints known seen (128 KiB: the core's L2). */
  private static final int RECENT = 1 << 14;

  private final Config config;
  private final Model model;
  private final int workers;
  private final Consumer<String> progress;
  private final FingerprintSet seen;
  /** "Every invariant holds", fast; {@link #firstViolated} names the broken one only when this says no. */
  private final InvariantCheck invariants;
  private final StateStore store;
  /** Words per state. */
  private final int width;
  /** levelStarts.get(d): the store index of the first state of depth d+1 (the initial state is depth 1). */
  private final List<Integer> levelStarts = new ArrayList<>();
  private long generated;
  /** System.nanoTime() after which workers stop claiming states (Long.MAX_VALUE: no limit). */
  private long deadline = Long.MAX_VALUE;
  private volatile boolean stopped;

  public Explorer(Config config, int workers, Consumer<String> progress) {
    this(config, workers, 0, progress);
  }

  /**
   * @param expectedStates a sizing hint for the seen-set (the config's recorded distinct-state
   *     count, or 0); a wrong hint costs memory or rehashing, never correctness
   */
  public Explorer(Config config, int workers, long expectedStates, Consumer<String> progress) {
    this.seen = new FingerprintSet(expectedStates);
    this.config = config;
    this.model = new Model(config);
    this.invariants = new InvariantCheck(config);
    this.width = StateBits.words(config);
    this.store = new StateStore(config.numGfns(), config.vcpus());
    this.workers = workers;
    this.progress = progress;
  }

  /** Bytes the seen-set holds per distinct state, after a run. */
  public double seenSetBytesPerState() {
    long n = seen.size();
    return n == 0 ? 0 : (double) seen.bytes() / n;
  }

  /**
   * Stops the search once {@code seconds} have passed (a benchmark's time limit): the workers finish
   * the states they claimed, the level is merged, and the result is {@link Verdict#ERROR} saying how
   * many distinct states were reached, unless a violation was found among them first.
   */
  public Explorer timeLimit(double seconds) {
    this.limitSeconds = seconds;
    return this;
  }

  private double limitSeconds = Double.POSITIVE_INFINITY;

  /** Whether the last run stopped at its time limit before the search was complete. */
  public boolean stoppedAtTimeLimit() {
    return stopped;
  }

  public CheckResult run() {
    long t0 = System.nanoTime();
    deadline = Double.isInfinite(limitSeconds) ? Long.MAX_VALUE : t0 + (long) (limitSeconds * 1e9);
    stopped = false;
    State init = model.init();
    long[] is = init.words();
    canon(is);
    seen.add(State.fingerprint(is));
    store.add(is, 0, -1, -1);
    generated = 1;
    int initBad = firstViolated(is);
    if (initBad >= 0) {
      return result(t0, Verdict.VIOLATION, config.invariants().get(initBad).name(), 0, 1);
    }
    int levelStart = 0;
    int depth = 1;
    levelStarts.add(0);
    long lastReport = System.nanoTime();
    try (ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
      Thread t = new Thread(r, "kvmuf-explorer");
      t.setDaemon(true);
      return t;
    })) {
      // The workers live as long as the run: their buffers, grown once to a level's size, are reused.
      List<Worker> done = new ArrayList<>();
      for (int w = 0; w < workers; w++) {
        done.add(new Worker());
      }
      while (true) {
        int levelEnd = store.size();
        if (levelStart == levelEnd) {
          break;
        }
        AtomicInteger next = new AtomicInteger(levelStart);
        List<Future<?>> futures = new ArrayList<>();
        for (Worker worker : done) {
          worker.level(next, levelEnd);
          futures.add(pool.submit(worker::run));
        }
        for (Future<?> f : futures) {
          join(f);
        }
        // Merge the level: deterministic order (worker by worker) so indices are stable per run.
        int deadlock = -1;
        long deadlockFp = 0;
        Violation best = null;
        levelStarts.add(store.size());
        // Each worker's new states get the next range of indices, in worker order; the workers then copy them
        // into the store at the same time.
        for (Worker w : done) {
          w.base = store.reserve(w.count);
        }
        futures.clear();
        for (Worker w : done) {
          futures.add(pool.submit(w::store));
        }
        for (Future<?> f : futures) {
          join(f);
        }
        for (Worker w : done) {
          generated += w.generated;
          if (w.deadlock >= 0 && (deadlock < 0 || Long.compareUnsigned(w.deadlockFp, deadlockFp) < 0)) {
            deadlock = w.deadlock;
            deadlockFp = w.deadlockFp;
          }
          int base = w.base;
          for (Violation viol : w.violations) {
            Violation placed = new Violation(base + viol.index, viol.invariant, viol.fingerprint);
            if (best == null || placed.better(best)) {
              best = placed;
            }
          }
        }
        if (deadlock >= 0 && config.checkDeadlock()) {
          return result(t0, Verdict.VIOLATION, CheckResult.DEADLOCK, deadlock, depth);
        }
        if (best != null) {
          return result(t0, Verdict.VIOLATION, config.invariants().get(best.invariant).name(), best.index, depth + 1);
        }
        if (stopped) {
          CheckResult partial = result(t0, Verdict.ERROR, null, -1, depth);
          return new CheckResult(partial.engine(), partial.config(), partial.mutant(), partial.workers(), Verdict.ERROR,
              Optional.empty(), partial.distinctStates(), partial.statesGenerated(), partial.depth(), partial.seconds(),
              List.of(), Optional.of(String.format(java.util.Locale.ROOT,
                  "stopped at the time limit (%.0f s) with %d distinct states reached, no violation among them",
                  limitSeconds, partial.distinctStates())));
        }
        levelStart = levelEnd;
        if (store.size() > levelEnd) {
          depth++;
        }
        long now = System.nanoTime();
        if (now - lastReport > 1_000_000_000L) {
          lastReport = now;
          double s = (now - t0) / 1e9;
          progress.accept(String.format("depth %d, %d distinct states, %.0f states/s", depth, store.size(), store.size() / s));
        }
      }
    }
    return result(t0, Verdict.OK, null, -1, depth);
  }

  /**
   * The store indices from the initial state to {@code last}, one per depth: for each state on
   * the way back, the predecessor one level up with the smallest fingerprint. Every state of that
   * level is a candidate, so the chain is the same whatever worker stored which state first.
   * Costs one more expansion of the levels above {@code last}, paid only for a counterexample.
   */
  private List<Integer> shortestChain(int last) {
    int level = levelOf(last);
    int[] chain = new int[level + 1];
    chain[level] = last;
    long[] cur = new long[width];
    long[] cn = new long[width];
    for (int d = level - 1; d >= 0; d--) {
      long[] want = store.get(chain[d + 1]);
      int best = -1;
      long bestFp = 0;
      int end = levelStarts.get(d + 1);
      for (int i = levelStarts.get(d); i < end; i++) {
        boolean[] hit = {false};
        store.get(i, cur);
        model.successors(cur, (a, next) -> {
          System.arraycopy(next, 0, cn, 0, width);
          canon(cn);
          if (Arrays.equals(cn, want)) {
            hit[0] = true;
          }
        });
        long fp = State.fingerprint(cur);
        if (hit[0] && (best < 0 || Long.compareUnsigned(fp, bestFp) < 0)) {
          best = i;
          bestFp = fp;
        }
      }
      if (best < 0) {
        throw new IllegalStateException("no predecessor of a stored state one level up");
      }
      chain[d] = best;
    }
    List<Integer> out = new ArrayList<>(chain.length);
    for (int i : chain) {
      out.add(i);
    }
    return out;
  }

  /** The level (0 for the initial state) that store index {@code i} belongs to. */
  private int levelOf(int i) {
    int d = levelStarts.size() - 1;
    while (levelStarts.get(d) > i) {
      d--;
    }
    return d;
  }

  /** The canonical form of s under the config's symmetry, in place. */
  private void canon(long[] s) {
    if (config.symmetry()) {
      StateBits.canonicalVcpus(s, config.vcpus());
    }
  }

  /** The index in the config's order of the first invariant the state breaks, or -1. */
  private int firstViolated(long[] s) {
    List<Invariant> invariants = config.invariants();
    for (int k = 0; k < invariants.size(); k++) {
      if (!invariants.get(k).holds(config, s)) {
        return k;
      }
    }
    return -1;
  }

  private static void join(Future<?> f) {
    try {
      f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("explorer interrupted", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("explorer worker failed", e.getCause());
    }
  }

  private CheckResult result(long t0, Verdict verdict, String property, int badIndex, int depth) {
    double seconds = (System.nanoTime() - t0) / 1e9;
    List<TraceState> trace = badIndex < 0 ? List.of() : Counterexample.concrete(model, store, shortestChain(badIndex));
    return new CheckResult("java", config.name(), mutantName(), workers, verdict, Optional.ofNullable(property),
        store.size(), generated, depth, seconds, trace, Optional.empty());
  }

  private Optional<String> mutantName() {
    return config.mutants().stream().map(Enum::name).reduce((a, b) -> a + "," + b);
  }

  /** A violating new state found while expanding a level. */
  private record Violation(int index, int invariant, long fingerprint) {
    boolean better(Violation o) {
      return invariant != o.invariant ? invariant < o.invariant : Long.compareUnsigned(fingerprint, o.fingerprint) < 0;
    }
  }

  /** Expands claimed states of one level into a private buffer of new states. */
  private final class Worker implements Model.Sink {
    private AtomicInteger next;
    private int end;
    /** The store index of this worker's first new state of the level (set by the merge). */
    int base;
    /** The new states, {@code width} words each. */
    long[] words = new long[1024 * width];
    private final long[] cur = new long[width];
    /** Fingerprints known to be in the seen-set, direct-mapped by their low bits. */
    private final long[] recent = new long[RECENT];
    int[] parent = new int[1024];
    int[] action = new int[1024];
    int count;
    long generated;
    int deadlock = -1;
    long deadlockFp;
    final List<Violation> violations = new ArrayList<>();
    private int current;
    private int successors;
    /** Successors not in the recent cache, waiting for one batched seen-set query ({@link #flush}). */
    private final long[] pendingFp = new long[PENDING];
    private final int[] pendingParent = new int[PENDING];
    private final int[] pendingAction = new int[PENDING];
    private final long[] pendingWords = new long[PENDING * width];
    private final boolean[] isNew = new boolean[PENDING];
    private final long[] scratch = new long[width];
    private int pending;

    /** Starts a level: claims from {@code next} up to {@code end}, no new state yet. */
    void level(AtomicInteger next, int end) {
      this.next = next;
      this.end = end;
      count = 0;
      generated = 0;
      deadlock = -1;
      deadlockFp = 0;
      violations.clear();
    }

    /** Copies this level's new states into the store at {@code base} (reserved). */
    void store() {
      for (int i = 0; i < count; i++) {
        store.set(base + i, words, i * width, parent[i], action[i]);
      }
    }

    void run() {
      while (true) {
        if (System.nanoTime() > deadline && next.get() < end) {
          stopped = true;
          return;
        }
        int from = next.getAndAdd(CLAIM);
        if (from >= end) {
          return;
        }
        int to = Math.min(end, from + CLAIM);
        for (int i = from; i < to; i++) {
          current = i;
          successors = 0;
          store.get(i, cur);
          model.successors(cur, this);
          if (successors == 0) {
            long fp = State.fingerprint(cur);
            if (deadlock < 0 || Long.compareUnsigned(fp, deadlockFp) < 0) {
              deadlock = i;
              deadlockFp = fp;
            }
          }
          if (pending >= BATCH) {
            flush();
          }
        }
        flush();
      }
    }

    /**
     * Asks the seen-set about the pending successors together ({@link FingerprintSet#addAll}: their table
     * slots are loaded before any is locked, so the cache misses overlap) and keeps the new ones.
     */
    private void flush() {
      if (pending == 0) {
        return;
      }
      seen.addAll(pendingFp, pending, isNew);
      for (int k = 0; k < pending; k++) {
        if (!isNew[k]) {
          continue;
        }
        if (count == parent.length) {
          int n = count * 2;
          words = Arrays.copyOf(words, n * width);
          parent = Arrays.copyOf(parent, n);
          action = Arrays.copyOf(action, n);
        }
        System.arraycopy(pendingWords, k * width, words, count * width, width);
        parent[count] = pendingParent[k];
        action[count] = pendingAction[k];
        if (!invariants.allHold(pendingState(k))) {
          violations.add(new Violation(count, firstViolated(pendingState(k)), pendingFp[k]));
        }
        count++;
      }
      pending = 0;
    }

    private long[] pendingState(int k) {
      System.arraycopy(pendingWords, k * width, scratch, 0, width);
      return scratch;
    }

    @Override
    public void accept(int actionCode, long[] next) {
      successors++;
      generated++;
      canon(next); // the scratch array is the model's: canonical in place, then copied if new
      long fp = State.fingerprint(next);
      // Most successors were found before, and often just now: siblings reach the same state in
      // different orders. A hit in this worker's small cache of fingerprints it found in the set
      // or added to it skips the shared set (a miss there is a cache miss and a lock).
      int r = (int) fp & (RECENT - 1);
      long key = fp == 0 ? 1 : fp; // 0 marks an empty entry, as in the set (which also files 0 as 1)
      if (recent[r] == key) {
        return;
      }
      recent[r] = key;
      if (pending == PENDING) {
        flush();
      }
      pendingFp[pending] = fp;
      pendingParent[pending] = current;
      pendingAction[pending] = actionCode;
      System.arraycopy(next, 0, pendingWords, pending * width, width);
      pending++;
    }
  }
}
