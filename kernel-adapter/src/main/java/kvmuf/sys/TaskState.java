package kvmuf.sys;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * What the kernel says about one thread of this process, from /proc/self/task/TID: its scheduler state
 * (stat field 3: R running or runnable, S interruptible sleep, D uninterruptible, ...), its wait channel
 * (the kernel function it sleeps in, "0" while it runs or is runnable), and its context-switch counters
 * (status: voluntary_ctxt_switches counts the times it went to sleep, nonvoluntary the times it was
 * preempted).
 *
 * <p>Why these: a thread asleep in userfaultfd shows S (or D for a killable wait) with wait channel
 * handle_userfault, and the kernel fills the wait channel only once the thread is off its run queue, so a
 * thread that shows it has really gone to sleep; a wake-up (try_to_wake_up) sets the state to running before
 * the waking call returns, so a woken thread shows R (or has moved on) as soon as the UFFDIO_WAKE or COPY that
 * woke it has returned, while one that was not woken still shows S with the same voluntary count.
 *
 * <p>The wait channel needs the kernel's symbol table (CONFIG_KALLSYMS) and ptrace-read access to the thread
 * (always true for our own threads); without symbols the kernel shows "0" or a bare address ({@link
 * #wchanSupported()} says which kernel this is). A sleeping thread may also show "0" for a moment, while the
 * scheduler has not yet taken it off its run queue (EEVDF's delayed dequeue).
 *
 * @param tid the thread id (gettid)
 * @param state stat field 3
 * @param wchan the wait channel, "0" while running or when the kernel does not say
 * @param voluntary voluntary_ctxt_switches
 * @param nonvoluntary nonvoluntary_ctxt_switches
 * @param cpu the CPU it last ran on (stat field 39)
 */
public record TaskState(int tid, char state, String wchan, long voluntary, long nonvoluntary, int cpu) {

  /** Reads thread {@code tid} of this process. Throws {@link NoSuchThreadException} once the thread is gone. */
  public static TaskState of(int tid) {
    Path dir = Path.of("/proc/self/task", Integer.toString(tid));
    String stat = read(dir.resolve("stat"), tid);
    // comm (field 2) is in parentheses and may hold spaces or ')': the state follows the last ')'.
    int close = stat.lastIndexOf(')');
    if (close < 0 || close + 2 >= stat.length()) throw new IllegalStateException("unexpected /proc stat line: " + stat);
    char state = stat.charAt(close + 2);
    String[] fields = stat.substring(close + 2).split(" ");
    int cpu = fields.length > 36 ? Integer.parseInt(fields[36]) : -1; // fields[0] is field 3
    String wchan = read(dir.resolve("wchan"), tid).strip();
    long voluntary = -1;
    long nonvoluntary = -1;
    for (String line : read(dir.resolve("status"), tid).split("\n")) {
      if (line.startsWith("voluntary_ctxt_switches:")) voluntary = Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
      else if (line.startsWith("nonvoluntary_ctxt_switches:")) nonvoluntary = Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
    }
    return new TaskState(tid, state, wchan.isEmpty() ? "0" : wchan, voluntary, nonvoluntary, cpu);
  }

  /**
   * The kernel's workqueue workers of the per-CPU normal-priority pools (kworker/CPU:N threads, every CPU; the
   * highpri pools kworker/CPU:NH, the unbound ones and the rescuers kworker/R-* left out), by pid, for {@link
   * #anyRunnable}.
   */
  public static java.util.List<Integer> perCpuKernelWorkers() {
    try (var procs = Files.list(Path.of("/proc"))) {
      return procs.map(p -> p.getFileName().toString()).filter(n -> !n.isEmpty() && n.chars().allMatch(Character::isDigit))
          .filter(n -> {
            try {
              String comm = new String(Files.readAllBytes(Path.of("/proc", n, "comm")), StandardCharsets.US_ASCII);
              // kworker/1:2 or kworker/1:2-events (the suffix names its current or last workqueue)
              return comm.matches("kworker/[0-9]+:[0-9]+(-.*)?\\s*");
            } catch (IOException e) {
              return false; // exited meanwhile
            }
          }).map(Integer::parseInt).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Whether one of the processes {@code pids} is running or runnable (state R) now. For kernel workers: all of
   * them idle means every work item queued before the call has been run (a pool wakes an idle worker when work
   * is queued, and a worker goes idle only with an empty work list). /proc/PID/stat is readable by anyone.
   */
  public static boolean anyRunnable(java.util.List<Integer> pids) {
    for (int pid : pids) {
      try {
        String stat = new String(Files.readAllBytes(Path.of("/proc", Integer.toString(pid), "stat")), StandardCharsets.US_ASCII);
        int close = stat.lastIndexOf(')');
        if (close > 0 && close + 2 < stat.length() && stat.charAt(close + 2) == 'R') return true;
      } catch (IOException e) {
        // exited meanwhile: not runnable
      }
    }
    return false;
  }

  /** S or D: the thread sleeps in the kernel (not running, not runnable). */
  public boolean sleeping() {
    return state == 'S' || state == 'D';
  }

  /** The kernel named a function here (a symbol, not "0" or a bare address). */
  public boolean wchanKnown() {
    return !wchan.equals("0") && !wchan.matches("(0x)?[0-9a-fA-F]+");
  }

  /**
   * Whether this kernel names wait channels at all: some thread of this process (a JVM has several parked in
   * futex waits) shows a symbol. Without CONFIG_KALLSYMS every thread shows "0" or an address. Probed once.
   */
  public static boolean wchanSupported() {
    return WchanProbe.SUPPORTED;
  }

  private static final class WchanProbe {
    static final boolean SUPPORTED = probe();

    private static boolean probe() {
      try (var tasks = Files.list(Path.of("/proc/self/task"))) {
        return tasks.anyMatch(t -> {
          try {
            return of(Integer.parseInt(t.getFileName().toString())).wchanKnown();
          } catch (RuntimeException e) {
            return false; // exited meanwhile
          }
        });
      } catch (IOException e) {
        return false;
      }
    }
  }

  /** Asleep in function {@code name} (or one whose name contains it, e.g. "synchronize_srcu" for __synchronize_srcu). */
  public boolean sleepsIn(String name) {
    return sleeping() && wchan.contains(name);
  }

  /** One line for reports: "tid 1234 S handle_userfault (12 voluntary switches)". */
  public String show() {
    return "tid " + tid + " " + state + " " + wchan + " (" + voluntary + " voluntary switches)";
  }

  /** The thread has exited (its /proc/self/task entry is gone). */
  public static final class NoSuchThreadException extends RuntimeException {
    NoSuchThreadException(int tid) {
      super("thread " + tid + " has exited");
    }
  }

  private static String read(Path p, int tid) {
    try {
      return new String(Files.readAllBytes(p), StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      throw new NoSuchThreadException(tid);
    } catch (IOException e) {
      if (!Files.exists(p.getParent())) throw new NoSuchThreadException(tid);
      throw new UncheckedIOException(e);
    }
  }
}
