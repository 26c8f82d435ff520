package kvmuf.conform.concurrent;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.Observation;
import kvmuf.uffd.UffdEvent;

/**
 * The VMM's uffd handler thread: reads one page-fault message at a time and resolves it as the workload says
 * for its gfn, each read and resolution a short call under the log lock ({@link ConcurrentLog}):
 * <ul>
 *   <li>{@code read()} returned a message for gfn g: line {@code UffdRead g};</li>
 *   <li>UFFDIO_COPY (or COPY with DONTWAKE, then UFFDIO_WAKE): line {@code UffdInstall g} with its result;</li>
 *   <li>COPY answered EEXIST (the page is there already): line {@code UffdInstall g EEXIST}, then UFFDIO_WAKE,
 *       line {@code UffdWake g}, so that a thread asleep on the page is not left asleep (R2).</li>
 * </ul>
 *
 * <p>One message at a time, resolved before the next read, like the model's reader (a gfn is read, then
 * installed, before it can be read again). When two vCPUs fault on the same page the kernel queues two messages,
 * but the COPY that answers the first wakes both sleepers and drops the second, unread, message with them; so
 * this handler sees one message per page, as the model's queue (a set of gfns) says, and EEXIST does not arise
 * on upstream configs: the model agrees (its EEXIST needs a page installed by a vCPU's own exit handler, a KVM
 * Userfault step). Should a kernel still deliver a message for a page already installed, the handler answers it
 * as a VMM must (COPY, EEXIST, WAKE) and logs it, and the validator judges the log.
 */
final class UffdHandler implements Runnable {
  private static final Duration POLL = Duration.ofMillis(10);

  private final UffdCalls calls;
  private final ConcurrentLog log;
  private final Config config;
  private final List<Resolution> plan;
  private final BooleanSupplier vcpusDone;
  private volatile boolean stop;
  private volatile String problem;

  /**
   * @param vcpusDone true once every vCPU thread has finished: the handler then stops at the next quiet poll
   */
  UffdHandler(UffdCalls calls, ConcurrentLog log, Config config, List<Resolution> plan, BooleanSupplier vcpusDone) {
    this.calls = calls;
    this.log = log;
    this.config = config;
    this.plan = plan;
    this.vcpusDone = vcpusDone;
  }

  @Override
  public void run() {
    while (!stop && problem == null) {
      if (calls.awaitMessage(POLL)) {
        log.holding(this::readAndResolve);
      } else if (vcpusDone.getAsBoolean()) {
        return;
      }
    }
  }

  /** Stops the loop (after a deadline: the run is reported as not finished). */
  void stop() {
    stop = true;
  }

  /** What went wrong in a way the log cannot say (a message outside the model's gfns, another event), or null. */
  String problem() {
    return problem;
  }

  /** One short call: read a message and resolve it, with the log lock held (called through {@link ConcurrentLog#holding}). */
  private Void readAndResolve() {
    Optional<UffdEvent> e = calls.read();
    if (e.isEmpty()) {
      return null; // readable at poll time, gone by read: its waiter was woken; nothing was read, nothing is logged
    }
    if (!(e.get() instanceof UffdEvent.Pagefault pf)) {
      problem = "uffd: an event other than a page fault (" + e.get() + ")";
      return null;
    }
    int g = calls.gfnOf(pf.address());
    if (g < 0 || g >= config.numGfns()) {
      problem = "uffd: a page fault at 0x" + Long.toHexString(pf.address()) + ", outside the model's gfns";
      return null;
    }
    log.append(new Action.UffdRead(g), new Observation.UffdEvent(g * Observation.PAGE_SIZE, pf.isMinor() ? List.of("MINOR") : List.of()));
    resolve(g);
    return null;
  }

  private void resolve(int g) {
    boolean dontWake = plan.get(g) == Resolution.COPY_DONTWAKE_THEN_WAKE;
    String copied = calls.copy(g, dontWake);
    if (copied.equals("EEXIST")) {
      log.append(new Action.UffdInstall(g), new Observation.Ioctl("EEXIST"));
      log.append(new Action.UffdWake(g), new Observation.Ioctl(calls.wake(g)));
      return;
    }
    String result = copied;
    if (copied.equals("ok") && dontWake) {
      String woke = calls.wake(g);
      // The model never allows this result: the log then shows the failed wake at this line.
      if (!woke.equals("ok")) result = "kernel: UFFDIO_WAKE after UFFDIO_COPY(DONTWAKE) answered " + woke;
    }
    log.append(new Action.UffdInstall(g), new Observation.Ioctl(result));
  }
}
