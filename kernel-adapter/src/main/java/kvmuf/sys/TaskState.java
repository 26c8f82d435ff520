package kvmuf.sys;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
    String dir = "/proc/self/task/" + tid + "/";
    String stat = read(dir + "stat", tid);
    char state = stateField(stat);
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    int cpu = fields.length > 36 ? Integer.parseInt(fields[36]) : -1; // fields[0] is field 3
    String wchan = read(dir + "wchan", tid).strip();
    long voluntary = -1;
    long nonvoluntary = -1;
    for (String line : read(dir + "status", tid).split("\n")) {
      if (line.startsWith("voluntary_ctxt_switches:")) voluntary = Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
      else if (line.startsWith("nonvoluntary_ctxt_switches:")) nonvoluntary = Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
    }
    return new TaskState(tid, state, wchan.isEmpty() ? "0" : wchan, voluntary, nonvoluntary, cpu);
  }

  /**
   * Only the scheduler state of thread {@code tid} (stat field 3), one read: enough to tell that it does not
   * sleep (not S or D) without reading its wait channel and counters.
   */
  public static char schedState(int tid) {
    return stateField(read("/proc/self/task/" + tid + "/stat", tid));
  }

  // comm (field 2) is in parentheses and may hold spaces or ')': the state follows the last ')'.
  private static char stateField(String stat) {
    int close = stat.lastIndexOf(')');
    if (close < 0 || close + 2 >= stat.length()) throw new IllegalStateException("unexpected /proc stat line: " + stat);
    return stat.charAt(close + 2);
  }

  private static final java.util.regex.Pattern PER_CPU_WORKER = java.util.regex.Pattern.compile("kworker/[0-9]+:[0-9]+([-+].*)?");

  /**
   * Whether a kernel thread that may be about to run work just queued on a per-CPU workqueue is running or
   * runnable (state R) now: a worker of the per-CPU normal-priority pools (kworker/CPU:N, with or without the
   * suffix naming the workqueue of the item it runs, "+wq", or ran last, "-wq"), kthreadd (pid 2), or a kernel
   * thread kthreadd has just made and that has no name of its own yet ("kthreadd"). A pool without an idle
   * worker creates one through kthreadd while its manager sleeps; those are the threads of that path, so none
   * of them runnable means every work item queued before the call has been run. A fresh {@link KernelWorkers}
   * per wait; this is one read of a new one.
   */
  public static boolean kernelWorkerRunnable() {
    return new KernelWorkers().anyRunnable();
  }

  /**
   * One wait's view of the kernel threads {@link #kernelWorkerRunnable} watches. The threads are listed afresh
   * on every read (kthreadd's children, or all of /proc where the kernel does not list children: pools create
   * and retire workers), but a thread already seen with a name of its own that is no such worker (ksoftirqd,
   * migration, a highpri or unbound worker: a named kernel thread keeps its kind) is not read again in this
   * wait, so a read costs a stat per watched worker instead of one per kernel thread.
   */
  public static final class KernelWorkers {
    /** pid -> watched (a per-CPU normal worker) or not; unnamed new threads ("kthreadd") are not remembered. */
    private final java.util.Map<String, Boolean> kinds = new java.util.HashMap<>();

    public boolean anyRunnable() {
      String children = readOrNull("/proc/2/task/2/children");
      Iterable<String> pids = children != null && !children.isBlank()
          ? java.util.Arrays.asList(children.strip().split("\\s+"))
          : allPids();
      String self = readOrNull("/proc/2/stat");
      if (self != null && stateField(self) == 'R') return true;
      for (String pid : pids) {
        if (Boolean.FALSE.equals(kinds.get(pid))) continue;
        String stat = readOrNull("/proc/" + pid + "/stat");
        if (stat == null) continue; // exited meanwhile: not runnable
        int open = stat.indexOf('(');
        int close = stat.lastIndexOf(')');
        if (open < 0 || close < open || close + 2 >= stat.length()) continue;
        String comm = stat.substring(open + 1, close);
        boolean watched = mayRunQueuedWork(comm);
        if (!comm.equals("kthreadd")) kinds.put(pid, watched);
        if (watched && stat.charAt(close + 2) == 'R') return true;
      }
      return false;
    }
  }

  /** A kernel thread's name (comm) that {@link #kernelWorkerRunnable} watches. */
  static boolean mayRunQueuedWork(String comm) {
    return comm.equals("kthreadd") || PER_CPU_WORKER.matcher(comm).matches();
  }

  private static java.util.List<String> allPids() {
    try (var procs = Files.list(Path.of("/proc"))) {
      return procs.map(p -> p.getFileName().toString()).filter(n -> !n.isEmpty() && n.chars().allMatch(Character::isDigit)).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
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

  /** Per thread: the buffer /proc files are read into (each of stat, wchan and status is well under 4 KiB). */
  private static final ThreadLocal<MemorySegment> BUF = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(8192));

  /**
   * One /proc file, whole: open, read, close through libc (a step reads these files a few times; the NIO
   * path costs several times as much per read). A thread that has exited has no directory any more (ENOENT)
   * or no task behind it (ESRCH).
   */
  private static String read(String path, int tid) {
    String s = readOrNull(path);
    if (s == null) throw new NoSuchThreadException(tid);
    return s;
  }

  /** {@link #read}, null when the task is gone. */
  private static String readOrNull(String path) {
    long fd = Libc.openRaw(path, Libc.O_RDONLY | Libc.O_CLOEXEC);
    if (fd == -Errno.ENOENT.number() || fd == -Errno.ESRCH.number()) return null;
    if (fd < 0) throw new UncheckedIOException(new IOException(path + ": " + Errno.describe((int) -fd)));
    MemorySegment buf = BUF.get();
    long n = 0;
    try {
      while (n < buf.byteSize()) {
        long rc = Libc.readRaw((int) fd, buf.asSlice(n), buf.byteSize() - n);
        if (rc == -Errno.EINTR.number()) continue;
        if (rc == -Errno.ESRCH.number()) return null;
        if (rc < 0) throw new UncheckedIOException(new IOException(path + ": " + Errno.describe((int) -rc)));
        if (rc == 0) break;
        n += rc;
      }
    } finally {
      Libc.close((int) fd);
    }
    return new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII);
  }
}
