package kvmuf.conform;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import kvmuf.sys.TaskState;

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
 * <p>{@link #until} waits for evidence: it re-reads with pauses that grow from 10 us to 1 ms (a pause only
 * spaces the reads, it decides nothing) and gives up only after the hung-kernel timeout, reported as {@link
 * Hung}: "no progress ... hung kernel?".
 */
public final class SleepEvidence {
  public static final Duration DEFAULT_HUNG = Duration.ofSeconds(20);
  public static final String UFFD = "handle_userfault";
  public static final String SRCU = "synchronize_srcu";

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
    long deadline = System.nanoTime() + hung.toNanos();
    long pause = 10_000;
    while (true) {
      Optional<T> answer = probe.get();
      if (answer.isPresent()) return answer.get();
      if (System.nanoTime() > deadline) {
        Optional<T> last = probe.get();
        if (last.isPresent()) return last.get();
        throw new Hung("no progress within " + hung.toSeconds() + " s: " + what + " (hung kernel?)");
      }
      LockSupport.parkNanos(pause);
      if (Thread.interrupted()) throw new IllegalStateException("interrupted while waiting for " + what);
      pause = Math.min(pause * 2, 1_000_000);
    }
  }

  /**
   * The thread's state when it sleeps in {@code function} ({@link #UFFD}, {@link #SRCU}): read twice with
   * the same voluntary count; empty while it runs, is runnable or sleeps elsewhere.
   */
  public static Optional<TaskState> asleepIn(int tid, String function) {
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
    TaskState now = TaskState.of(before.tid());
    return asleep(now, function) && now.voluntary() == before.voluntary() && now.wchan().equals(before.wchan());
  }

  /**
   * Waits until SRCU's grace-period work, queued by a synchronize_srcu that now sleeps, has run: no worker of
   * the per-CPU pools (rcu_gp is a per-CPU workqueue; every CPU's pool is checked, as the caller may have moved
   * between queueing and sleeping) is runnable ({@link TaskState#anyRunnable}). Its first pass flips the reader
   * index, which the kernel shows nowhere else.
   */
  void untilSrcuWorkerRan() {
    java.util.List<Integer> workers = TaskState.perCpuKernelWorkers();
    until("the kernel's workqueue workers did not go idle after synchronize_srcu queued its grace period",
        () -> TaskState.anyRunnable(workers) ? Optional.empty() : Optional.of(true));
  }

  private static boolean asleep(TaskState s, String function) {
    if (!s.sleeping()) return false;
    return !TaskState.wchanSupported() || s.wchan().contains(function);
  }
}
