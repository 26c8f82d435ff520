package kvmuf.conform;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import kvmuf.sys.TaskState;
import kvmuf.sys.Wakeup;

/**
 * Decides from the kernel's own evidence, never from elapsed time, whether a thread is asleep in userfaultfd
 * or in synchronize_srcu, and whether a wake-up reached it (design section 5).
 *
 * <ul>
 *   <li><b>Asleep in</b> a kernel function: the thread's state is S or D and its wait channel names the
 *       function ({@code handle_userfault}, {@code __synchronize_srcu}). The kernel fills the wait channel only
 *       once the thread has left its run queue, so this is a thread that really went to sleep, not one on its
 *       way (a faulting vCPU posts its uffd message before it calls schedule()). The state is read twice and
 *       must show the same voluntary-switch count both times: that count is the baseline a later "still
 *       asleep" is compared with.</li>
 *   <li><b>Still asleep</b> after a wake ioctl (UFFDIO_WAKE, UFFDIO_COPY, UFFDIO_CONTINUE) has returned: the
 *       kernel's try_to_wake_up sets a woken thread running before the ioctl returns, so a sleeper that still
 *       shows S in the same function with the same voluntary count was not woken. A woken one shows R, or has
 *       moved on: its access completed, it stopped at an exit, or it faulted again (a new uffd message from its
 *       thread, and a higher voluntary count once it sleeps again).</li>
 * </ul>
 *
 * <p><b>SRCU's index flip</b>: a synchronize_srcu queues its grace period's work and sleeps; the work's first
 * pass flips SRCU's reader index, after which a new reader (a vCPU that faults now) does not hold the update
 * up. The flip has happened once no worker of the per-CPU pools is runnable ({@link #untilSrcuWorkerRan}).
 *
 * <p>Where the kernel names no wait channel (no CONFIG_KALLSYMS: "0" or a bare address), "asleep" falls back
 * to the state alone (S or D, same voluntary count on two reads), which cannot tell one sleep from another.
 *
 * <p>{@link #until} waits for evidence: between reads it sleeps in the kernel on the waiting thread's {@link
 * Wakeup}, which the threads it waits for signal when they finish ({@link #watched}: a vCPU's access, a
 * memslot update) and which also wakes when the userfaultfd has a message; so a finished access or a posted
 * fault is seen at once, not after a pause. Without an event it re-reads after pauses that grow from 10 us to
 * 1 ms (a pause only spaces the reads, it decides nothing; an event starts them again from the shortest), and
 * gives up only after the hung-kernel timeout, reported as {@link Hung}: "no progress ... hung kernel?".
 */
public final class SleepEvidence {
  public static final Duration DEFAULT_HUNG = Duration.ofSeconds(20);
  public static final String UFFD = "handle_userfault";
  public static final String SRCU = "synchronize_srcu";

  private static final long MIN_PAUSE = 10_000;
  private static final long MAX_PAUSE = 1_000_000;

  private final Duration hung;

  public SleepEvidence(Duration hung) {
    this.hung = hung;
  }

  Duration hungTimeout() {
    return hung;
  }

  /** No evidence within the hung-kernel timeout. */
  public static final class Hung extends RuntimeException {
    Hung(String message) {
      super(message);
    }
  }

  /**
   * Polls {@code probe} until it answers and returns the answer; throws {@link Hung} naming {@code what} when
   * nothing answers within the hung-kernel timeout.
   */
  public <T> T until(String what, Supplier<Optional<T>> probe) {
    return until(what, -1, probe);
  }

  /**
   * {@link #until}, also woken when {@code readable} (an fd, or -1) is readable: the userfaultfd, for a probe
   * that reads its messages (a probe that left a message unread would be woken again and again).
   */
  public <T> T until(String what, int readable, Supplier<Optional<T>> probe) {
    Wakeup wakeup = Wakeup.ofThisThread();
    long deadline = System.nanoTime() + hung.toNanos();
    long pause = MIN_PAUSE;
    while (true) {
      Optional<T> answer = probe.get();
      if (answer.isPresent()) return answer.get();
      if (System.nanoTime() > deadline) {
        Optional<T> last = probe.get();
        if (last.isPresent()) return last.get();
        throw new Hung("no progress within " + hung.toSeconds() + " s: " + what + " (hung kernel?)");
      }
      boolean event = wakeup.await(pause, readable);
      if (Thread.interrupted()) throw new IllegalStateException("interrupted while waiting for " + what);
      // After an event, look again at once (a sleep follows its uffd message within microseconds); else back off.
      pause = event ? 0 : Math.max(MIN_PAUSE, Math.min(pause * 2, MAX_PAUSE));
    }
  }

  /**
   * {@code f}, made to signal the calling thread's {@link Wakeup} when it completes: an {@link #until} on this
   * thread that waits for it then wakes at once. The signal follows the completion, so the re-read sees it.
   */
  static <T> CompletableFuture<T> watched(CompletableFuture<T> f) {
    Wakeup w = Wakeup.ofThisThread();
    f.whenComplete((r, e) -> w.signal());
    return f;
  }

  /**
   * The thread's state when it sleeps in {@code function} ({@link #UFFD}, {@link #SRCU}): read twice with
   * the same voluntary count; empty while it runs, is runnable or sleeps elsewhere (a thread that does not
   * sleep at all is told by its stat alone, without reading its wait channel and counters).
   */
  public static Optional<TaskState> asleepIn(int tid, String function) {
    if (!sleeping(TaskState.schedState(tid))) return Optional.empty(); // running or runnable: one read says so
    TaskState a = TaskState.of(tid);
    if (!asleep(a, function)) return Optional.empty();
    TaskState b = TaskState.of(tid);
    if (!asleep(b, function) || b.voluntary() != a.voluntary()) return Optional.empty();
    return Optional.of(b);
  }

  /**
   * After a wake ioctl returned: the sleeper {@code before} (from {@link #asleepIn}) still sleeps where it
   * slept, not woken in between.
   */
  public static boolean stillAsleep(TaskState before, String function) {
    if (!sleeping(TaskState.schedState(before.tid()))) return false; // woken: running or runnable
    TaskState now = TaskState.of(before.tid());
    return asleep(now, function) && now.voluntary() == before.voluntary() && now.wchan().equals(before.wchan());
  }

  /**
   * Waits until SRCU's grace-period work, queued by a synchronize_srcu that now sleeps, has run: no worker of
   * the per-CPU pools (rcu_gp is a per-CPU workqueue; every CPU's pool is checked, as the caller may have moved
   * between queueing and sleeping) is runnable, nor kthreadd or a worker it is making for a pool that had none
   * idle ({@link TaskState.KernelWorkers}, the workers listed afresh on every read: a list made once
   * misses a worker created meanwhile, which under load let a vCPU fault before the flip). Its first pass flips
   * the reader index, which the kernel shows nowhere else.
   */
  void untilSrcuWorkerRan() {
    TaskState.KernelWorkers workers = new TaskState.KernelWorkers();
    until("the kernel's workqueue workers did not go idle after synchronize_srcu queued its grace period",
        () -> workers.anyRunnable() ? Optional.empty() : Optional.of(true));
  }

  private static boolean sleeping(char state) {
    return state == 'S' || state == 'D';
  }

  private static boolean asleep(TaskState s, String function) {
    if (!s.sleeping()) return false;
    return !TaskState.wchanSupported() || s.wchan().contains(function);
  }
}
