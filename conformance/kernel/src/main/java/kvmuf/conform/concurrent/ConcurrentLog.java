package kvmuf.conform.concurrent;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.Observation;
import kvmuf.model.StepObservation;
import kvmuf.trace.Target;
import kvmuf.trace.Trace;
import kvmuf.trace.TraceHeader;
import kvmuf.trace.TraceStep;

/**
 * The one log of a concurrent run: every thread's calls, in an order that is a linearization of what
 * happened, so that {@code traces validate} (the {@link kvmuf.trace.Validator}) can check it against the model.
 *
 * <p>Two kinds of call, two rules:
 * <ul>
 *   <li><b>Short calls</b> ({@code read()} on the userfaultfd, UFFDIO_COPY, UFFDIO_WAKE): the thread makes the
 *       syscall and appends its line while holding the log lock ({@link #holding}). These calls never wait on
 *       another thread of the run (the uffd is non-blocking; COPY and WAKE only wake others).</li>
 *   <li><b>Long calls</b> (a vCPU's guest access, i.e. KVM_RUN, which may sleep in userfaultfd until the handler
 *       resolves its fault; a flags-only memslot update, which waits in synchronize_srcu for a vCPU asleep in
 *       userfaultfd): the thread makes the call without the lock and appends its line after the call returned
 *       ({@link #append}). Holding the lock across them would deadlock: the handler needs it for the COPY that
 *       ends the wait.</li>
 * </ul>
 *
 * <p>Why the order is a linearization the validator can explain. Take any call D whose result depended on an
 * effect of another call C:
 * <ol>
 *   <li>C short (a COPY or WAKE that installed a page or woke D's vCPU): the effect happened inside C's syscall,
 *       so after C took the lock; D saw it and only then returned and asked for the lock, which it gets after C
 *       released it, i.e. after C's line was appended. C's line precedes D's. This is the case the lock exists
 *       for: without it a woken vCPU could log its read before the COPY that woke it.</li>
 *   <li>C long (a vCPU access whose fault queued the uffd message that a handler {@code read()} D returns): C's
 *       line may come after D's. The validator allows this: a line's visible action may start before earlier
 *       lines of other actors (up to {@link kvmuf.trace.Validator#WINDOW} lines ahead), after its own actor's
 *       previous line. Program order gives exactly that: each thread appends a call's line before it starts its
 *       next call, so a call starts after its actor's previous line.</li>
 * </ol>
 * Each line's own result is what its actor saw when the call returned, and the append follows the return; the
 * validator fills in the hidden kernel steps (fault path, memslot commit) in between.
 *
 * <p>Every line is {@code observed}, with mapping counts {@link Target#PAGES_NOT_OBSERVED} (the kernel's stats
 * count the whole VM, and some KVMs keep them at 0) and no {@code unblocked} entries (each thread logs its own
 * call only). The header's generator is {@code concurrent}.
 */
public final class ConcurrentLog {
  /** The header's generator for a log of free-running threads. */
  public static final String GENERATOR = "concurrent";

  private final TraceHeader header;
  private final List<TraceStep> steps = new ArrayList<>();

  public ConcurrentLog(Config config, long seed, String profile) {
    this.header = new TraceHeader(TraceHeader.FORMAT, config, seed, profile, GENERATOR);
  }

  /**
   * Runs a short call with the log lock held: {@code call} makes its syscalls and appends their lines before
   * the lock is released. Never pass a call that can wait for another thread of the run.
   */
  public synchronized <T> T holding(Supplier<T> call) {
    return call.get();
  }

  /**
   * Appends one line (under the log lock; from inside {@link #holding} it is the same, reentrant lock). Step i is
   * line i + 2 of the written file (the header is line 1), so reports name the line a user finds there.
   */
  public synchronized void append(Action action, Observation result) {
    int i = steps.size();
    steps.add(new TraceStep(i, action, true,
        List.of(new StepObservation(result, Map.of(), Target.PAGES_NOT_OBSERVED, Target.PAGES_NOT_OBSERVED)), i + 2));
  }

  public synchronized int size() {
    return steps.size();
  }

  /** The log so far as a trace (observed lines, {@code i} in log order). */
  public synchronized Trace trace(String name) {
    return new Trace(name, header, steps);
  }
}
