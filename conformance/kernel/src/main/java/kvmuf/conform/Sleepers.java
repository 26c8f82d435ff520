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
import kvmuf.kvm.Exit;
import kvmuf.uffd.UffdEvent;
import kvmuf.uffd.Userfaultfd;

/**
 * Who is asleep in userfaultfd and who was woken, for {@link KernelTarget}: it reads the uffd messages
 * (noting which vCPU's thread each one came from), waits for an access to complete, stop at an exit or
 * fall asleep, and after a wake or a DONTWAKE install sees what each sleeper did within the settle time.
 * The methods moved here as one block from KernelTarget, their bodies unchanged.
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
  /** How long an access may take before it counts as asleep or stuck. */
  Duration patience = Duration.ofSeconds(10);
  /** How long a wake may take to show. */
  Duration settle = Duration.ofMillis(1000);

  Sleepers(Optional<Userfaultfd> uffd, List<VcpuWorker> vcpus, GuestMemory memory) {
    this.uffd = uffd;
    this.vcpus = vcpus;
    this.memory = memory;
  }

  /** Waits for the access to complete or stop at an exit, or for the vCPU to fall asleep in userfaultfd. */
  Observation await(VcpuWorker w, CompletableFuture<AgentResult> f) {
    long deadline = System.nanoTime() + patience.toNanos();
    while (System.nanoTime() < deadline) {
      if (f.isDone()) return finished(w, f);
      if (uffd.isPresent()) {
        drainMessages(Duration.ofMillis(10));
        Integer g = asleep.get(w.index());
        if (g != null) return new Observation.Blocked(g);
      } else {
        sleep(2);
      }
    }
    if (f.isDone()) return finished(w, f);
    return new Observation.NoProgress("vCPU " + w.index() + ": no exit and no uffd message within " + patience.toMillis() + " ms");
  }

  private Observation finished(VcpuWorker w, CompletableFuture<AgentResult> f) {
    asleep.remove(w.index());
    AgentResult r;
    try {
      r = f.join();
    } catch (RuntimeException e) {
      w.completed();
      return new Observation.OtherExit("KVM_RUN failed: " + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()));
    }
    return switch (r) {
      case AgentResult.Value v -> {
        w.completed();
        yield new Observation.Value(Contents.classify(w.gfn(), v.value()));
      }
      case AgentResult.Interrupted i -> switch (i.exit()) {
        case Exit.MemoryFault m -> new Observation.MemoryFault(m.gpa(), m.size(), m.flags());
        case Exit.Mmio m -> new Observation.Mmio(m.gpa(), m.len(), m.isWrite());
        case Exit e -> new Observation.OtherExit(e.toString());
      };
    };
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

  /** After a wake (or a DONTWAKE install): what each sleeping vCPU did within the settle time. */
  Observation.Ioctl withWoken(String call, String result) {
    Map<Integer, Observation> woken = new TreeMap<>();
    Map<Integer, Integer> sleepers = new HashMap<>(asleep);
    Map<Integer, Integer> before = new HashMap<>(messages);
    long deadline = System.nanoTime() + settle.toNanos();
    while (!sleepers.isEmpty() && System.nanoTime() < deadline && woken.size() < sleepers.size()) {
      for (int v : sleepers.keySet()) {
        VcpuWorker w = vcpus.get(v);
        if (!woken.containsKey(v) && w.inFlight().isDone()) woken.put(v, finished(w, w.inFlight()));
      }
      if (uffd.isPresent()) drainMessages(Duration.ofMillis(5));
      for (int v : sleepers.keySet()) {
        // Woken, then asleep again on a new fault: a new message from that vCPU.
        if (!woken.containsKey(v) && !messages.getOrDefault(v, 0).equals(before.getOrDefault(v, 0))) {
          woken.put(v, new Observation.Blocked(asleep.get(v)));
        }
      }
    }
    return new Observation.Ioctl(call, result, new TreeMap<>(woken));
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
