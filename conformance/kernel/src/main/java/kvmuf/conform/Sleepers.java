package kvmuf.conform;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import kvmuf.x86.guest.AgentResult;
import kvmuf.model.Observation;
import kvmuf.sys.TaskState;
import kvmuf.uffd.UffdEvent;
import kvmuf.uffd.Userfaultfd;

/**
 * Who is asleep in userfaultfd and who was woken, for {@link KernelVm}: it reads the uffd messages
 * (noting which vCPU's thread each one came from), waits for an access to complete, stop at an exit or
 * fall asleep, and after a wake or a DONTWAKE install sees what each sleeper did, each decided from the
 * kernel's evidence ({@link SleepEvidence}: a uffd message from the vCPU's thread and that thread asleep in
 * handle_userfault; after a wake ioctl, each sleeper still asleep with the same switch count, or not).
 */
final class Sleepers {
  private final Optional<Userfaultfd> uffd;
  private final List<VcpuWorker> vcpus;
  private final GuestMemory memory;
  /** uffd messages read but not handed out by an UffdRead yet, oldest first. */
  final Deque<UffdEvent.Pagefault> unread = new ArrayDeque<>();
  /** vCPU -> gfn it sleeps on in userfaultfd. */
  private final Map<Integer, Integer> asleep = new HashMap<>();
  /** vCPU -> uffd messages seen from its thread so far. */
  private final Map<Integer, Integer> messages = new HashMap<>();
  /** vCPU -> its thread's state when it was seen asleep in userfaultfd (the baseline "still asleep" compares with). */
  private final Map<Integer, TaskState> sleptAs = new HashMap<>();
  /** The kernel's evidence of who sleeps where; its hung-kernel timeout decides no observation. */
  SleepEvidence evidence = new SleepEvidence(SleepEvidence.DEFAULT_HUNG);

  Sleepers(Optional<Userfaultfd> uffd, List<VcpuWorker> vcpus, GuestMemory memory) {
    this.uffd = uffd;
    this.vcpus = vcpus;
    this.memory = memory;
  }

  /** vCPU -> gfn it sleeps on in userfaultfd, as last seen. */
  Map<Integer, Integer> asleep() {
    return asleep;
  }

  /**
   * Waits for the access to complete or stop at an exit, or for the vCPU to fall asleep in userfaultfd: its
   * message read and its thread asleep in handle_userfault (the message comes just before the sleep).
   */
  Observation await(VcpuWorker w, CompletableFuture<AgentResult> f) {
    String what = "vCPU " + w.index() + ": no exit, no completed access and no sleep in userfaultfd";
    try {
      if (uffd.isEmpty()) {
        return evidence.until(what, () -> f.isDone() ? Optional.of(finished(w, f)) : Optional.empty());
      }
      return evidence.until(what, uffd.get().fd(), () -> {
        if (f.isDone()) return Optional.of(finished(w, f));
        drainMessages(Duration.ZERO);
        Integer g = asleep.get(w.index());
        if (g == null) return Optional.empty();
        Optional<TaskState> s = SleepEvidence.asleepIn(w.tid(), SleepEvidence.UFFD);
        if (s.isEmpty()) return Optional.empty();
        sleptAs.put(w.index(), s.get());
        return Optional.of(new Observation.UffdBlocked(g * KernelVm.PAGE));
      });
    } catch (SleepEvidence.Hung e) {
      if (f.isDone()) return finished(w, f);
      return new Observation.NoProgress("vCPU " + w.index() + ": " + e.getMessage());
    }
  }

  /** The userfaultfd's fd, for waits whose probe reads its messages; -1 without one. */
  private int uffdFd() {
    return uffd.map(Userfaultfd::fd).orElse(-1);
  }

  private Observation finished(VcpuWorker w, CompletableFuture<AgentResult> f) {
    asleep.remove(w.index());
    sleptAs.remove(w.index());
    AgentResult r;
    try {
      r = f.join();
    } catch (RuntimeException e) {
      w.completed();
      return AgentObservation.failed(e);
    }
    if (r instanceof AgentResult.Value) w.completed();
    return AgentObservation.of(w.gfn(), w.kvmRead(), r);
  }

  /** Reads every uffd message available within {@code wait}, noting which vCPU each one put to sleep. */
  void drainMessages(Duration wait) {
    Userfaultfd u = uffd.orElseThrow();
    for (Optional<UffdEvent> e = u.readEvent(wait); e.isPresent(); e = u.readEvent(Duration.ZERO)) {
      if (e.get() instanceof UffdEvent.Pagefault pf) {
        unread.add(pf);
        for (VcpuWorker w : vcpus) {
          if (w.busy() && (pf.threadId() == w.tid() || (pf.threadId() == 0 && w.gfn() == memory.gfnOf(pf.address())))) {
            asleep.put(w.index(), memory.gfnOf(pf.address()));
            messages.merge(w.index(), 1, Integer::sum);
          }
        }
      }
    }
  }

  /**
   * After a wake (or a DONTWAKE install) has returned: what each vCPU asleep in userfaultfd did. The kernel
   * sets a woken thread running before the ioctl returns, so one that still sleeps in handle_userfault with
   * the switch count it slept with was not woken ({@link SleepEvidence#stillAsleep}); a woken one is followed
   * until its access completes, stops at an exit, or sleeps in userfaultfd again (a new message from its thread).
   */
  Map<Integer, Observation> withWoken(String call) {
    Map<Integer, Observation> woken = new TreeMap<>();
    Map<Integer, Integer> before = new HashMap<>(messages);
    for (int v : new TreeMap<>(asleep).keySet()) {
      VcpuWorker w = vcpus.get(v);
      TaskState slept = sleptAs.get(v);
      try {
        Optional<Observation> o = evidence.until("vCPU " + v + " after " + call + ": neither asleep as before nor done", uffdFd(), () -> {
          if (w.inFlight().isDone()) return Optional.of(Optional.of(finished(w, w.inFlight())));
          // Its state first, then the messages: a woken thread that faults again posts its message before it sleeps.
          boolean still = slept != null && SleepEvidence.stillAsleep(slept, SleepEvidence.UFFD);
          if (uffd.isPresent()) drainMessages(Duration.ZERO);
          if (!messages.getOrDefault(v, 0).equals(before.getOrDefault(v, 0))) {
            // Woken, then asleep again on a new fault: a new message from that vCPU, then its sleep.
            Optional<TaskState> s = SleepEvidence.asleepIn(w.tid(), SleepEvidence.UFFD);
            if (s.isEmpty()) return Optional.empty();
            sleptAs.put(v, s.get());
            return Optional.of(Optional.of(new Observation.UffdBlocked(asleep.get(v) * KernelVm.PAGE)));
          }
          if (still) return Optional.of(Optional.empty()); // not woken
          return Optional.empty(); // woken and on its way: wait until it completes, stops or sleeps again
        });
        o.ifPresent(x -> woken.put(v, x));
      } catch (SleepEvidence.Hung e) {
        woken.put(v, new Observation.NoProgress("vCPU " + v + ": " + e.getMessage()));
      }
    }
    return woken;
  }
}
