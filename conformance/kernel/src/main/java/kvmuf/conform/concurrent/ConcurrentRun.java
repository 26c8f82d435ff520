package kvmuf.conform.concurrent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.Map;
import kvmuf.conform.SleepEvidence;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.Observation;
import kvmuf.sys.Libc;
import kvmuf.sys.TaskState;

/**
 * Runs one {@link Workload} on a {@link ConcurrentMachine}: one platform thread per vCPU, one uffd handler thread
 * (when the config registers userfaultfd), one VMM thread (when the workload has memslot updates) and one
 * background fetch thread (when the config has the migration stream: FetchInstall, then FetchClearBit), all released
 * together and then left alone; each logs its calls into the run's {@link ConcurrentLog} as that class says.
 *
 * <p>vCPU threads: for each gfn of the workload, a guest read (KVM_RUN through the guest agent; a long call) and
 * its line; a USERFAULT exit is resolved by the vCPU's own thread as a VMM's exit handler does (Install,
 * ClearBit, ResumeVcpu, and the read re-executed); any other result than a completed read ends that vCPU's list
 * (the agent is then stopped mid-access). The VMM thread: each SetBit (a short call: a bitmap store, logged under
 * the lock) and each flags-only memslot update (a long call: it may wait in synchronize_srcu for a vCPU asleep
 * in userfaultfd) and its line, never holding the log lock across a long call. MADV_DONTNEED is left out: no shipped config that an
 * upstream kernel can run allows an invalidation, and the model's Retry (a re-executed access) has no line of
 * its own on a real vCPU.
 *
 * <p>A run whose vCPUs are left asleep in userfaultfd with nobody to wake them is stopped as soon as the kernel
 * shows it ({@link SleepEvidence}): every vCPU still running sleeps in handle_userfault, the handler sleeps in
 * poll with no message left to read, and the vCPUs still sleep with the same switch counts after that, so no
 * call is left that could wake one. The patience is only the failure path for a kernel that makes no progress.
 * Either way the handler is stopped first, then the userfaultfd is closed so the sleepers finish; the result
 * names what was stuck.
 */
final class ConcurrentRun {
  private ConcurrentRun() {}

  /**
   * @param problem what went wrong outside the log (a thread stuck or failed); empty when every thread finished
   * @param stopped every thread of the run has stopped, so the machine may be closed (false: a thread is still in
   *     the kernel even after the userfaultfd was closed; the machine must then be left open, leaked)
   */
  record Finished(Optional<String> problem, boolean stopped) {}

  static Finished run(ConcurrentMachine machine, Workload w, Config config, ConcurrentLog log, Duration patience) {
    ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    Map<String, Integer> tids = new ConcurrentHashMap<>();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> vcpus = new ArrayList<>();
    for (int v = 0; v < w.vcpus(); v++) {
      int vcpu = v;
      vcpus.add(thread("vcpu" + v, start, w.vcpuSpin(v), problems, tids, () -> {
        List<Integer> gfns = w.reads().get(vcpu);
        for (int k = 0; k < gfns.size(); k++) {
          int g = gfns.get(k);
          boolean kvm = w.kvmRead(vcpu, k);
          Observation o = kvm ? machine.kvmRead(vcpu, g) : machine.read(vcpu, g); // long call: no lock held
          log.append(kvm ? new Action.KvmAccess(vcpu, g) : new Action.Access(vcpu, g), o);
          while (!kvm && userfaultExit(o)) {
            o = handleExit(machine, log, vcpu, g, (Observation.MemoryFaultExit) o);
          }
          if (!(o instanceof Observation.Read || o instanceof Observation.KvmRead)) return;
        }
      }));
    }
    UffdHandler handler = machine.hasUffd()
        ? new UffdHandler(machine, log, config, w.resolutions(), () -> vcpus.stream().noneMatch(Thread::isAlive))
        : null;
    Thread uffd = handler == null ? null : thread("uffd", start, 0, problems, tids, handler);
    Thread vmm = w.vmm().isEmpty() ? null : thread("vmm", start, w.vmmSpin(), problems, tids, () -> {
      for (Action a : w.vmm()) {
        if (a instanceof Action.InvalidateBegin x) {
          log.holding(() -> { // short: madvise never waits for another thread of the run; made while the page is present
            machine.invalidate(x.gfn()).ifPresent(o -> log.append(a, o));
            return null;
          });
          continue;
        }
        if (a instanceof Action.SetBit b) {
          log.holding(() -> { // short: a bitmap store, logged before any fault can have seen it
            log.append(a, machine.setBit(b.gfn()));
            return null;
          });
          continue;
        }
        Observation o = machine.memslotUpdate(a); // long call: no lock held
        log.append(a, o);
      }
    });
    Thread fetch = w.fetches().isEmpty() ? null : thread("fetch", start, w.fetchSpin(), problems, tids, () -> {
      for (int g : w.fetches()) {
        // FetchInstall and FetchClearBit are short calls, each under the log lock; a gfn already installed or no
        // longer marked is skipped (no line), as a VMM's migration stream skips pages it no longer needs.
        boolean fetched = log.holding(() -> {
          Optional<Observation> o = machine.fetchInstall(g);
          o.ifPresent(x -> log.append(new Action.FetchInstall(g), x));
          return o.isPresent();
        });
        if (!fetched) continue;
        log.holding(() -> {
          log.append(new Action.FetchClearBit(g), machine.clearBit(g));
          return null;
        });
      }
    });
    start.countDown();

    List<String> stuck = new ArrayList<>();
    String why;
    try {
      why = new SleepEvidence(patience).until("the run's threads", () -> {
        if (vcpus.stream().noneMatch(Thread::isAlive) && (vmm == null || !vmm.isAlive()) && (fetch == null || !fetch.isAlive())) {
          return Optional.of("");
        }
        if (fetch != null && fetch.isAlive()) return Optional.empty(); // the fetch may still wake a sleeper
        try {
          return nobodyCanWake(machine, vcpus, uffd, tids) ? Optional.of("left asleep in userfaultfd with nobody to wake it") : Optional.empty();
        } catch (TaskState.NoSuchThreadException e) {
          return Optional.empty(); // a thread finished while being read: progress, look again
        }
      });
    } catch (SleepEvidence.Hung e) {
      why = "not finished within " + patience.toSeconds() + " s (hung kernel?)";
    }
    for (int v = 0; v < vcpus.size(); v++) {
      if (vcpus.get(v).isAlive()) stuck.add("vcpu" + v + " still in KVM_RUN");
    }
    if (vmm != null && vmm.isAlive()) stuck.add("vmm still in KVM_SET_USER_MEMORY_REGION2");
    if (fetch != null && fetch.isAlive()) stuck.add("fetch still running");
    if (handler != null) {
      handler.stop();
      join(uffd, System.nanoTime() + Duration.ofSeconds(5).toNanos());
      if (handler.problem() != null) problems.add(handler.problem());
    }
    if (!stuck.isEmpty()) {
      // Nobody will wake the sleepers: closing the userfaultfd lets their faults finish so the threads stop.
      machine.closeUffd();
      long grace = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      vcpus.forEach(t -> join(t, grace));
      if (vmm != null) join(vmm, grace);
      if (fetch != null) join(fetch, grace);
      problems.add("the run did not finish: " + why + ": " + String.join(", ", stuck));
    }
    List<Thread> all = new ArrayList<>(vcpus);
    if (uffd != null) all.add(uffd);
    if (vmm != null) all.add(vmm);
    if (fetch != null) all.add(fetch);
    boolean stopped = all.stream().noneMatch(Thread::isAlive);
    return new Finished(problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems)), stopped);
  }

  private static boolean userfaultExit(Observation o) {
    return o instanceof Observation.MemoryFaultExit m && m.flags().contains("USERFAULT");
  }

  /**
   * vCPU {@code v}'s thread as its own exit handler after a USERFAULT exit while reading {@code g}, as a VMM
   * resolves one: Install the exit's page (UFFDIO_COPY with DONTWAKE, or a write), ClearBit (store-release),
   * ResumeVcpu, then KVM_RUN again, which re-executes the read. Install and ClearBit are short calls logged
   * under the log lock (another vCPU's fault, or the uffd handler's COPY answered EEXIST, may depend on them);
   * ResumeVcpu makes no call; the re-executed read is a long call and its line is the model's next Access.
   */
  private static Observation handleExit(ConcurrentMachine machine, ConcurrentLog log, int v, int g, Observation.MemoryFaultExit exit) {
    int eg = (int) (exit.gpa() / Observation.PAGE_SIZE);
    log.holding(() -> {
      log.append(new Action.Install(v), machine.install(eg));
      return null;
    });
    log.holding(() -> {
      log.append(new Action.ClearBit(v), machine.clearBit(eg));
      return null;
    });
    log.append(new Action.ResumeVcpu(v), new Observation.Done());
    Observation o = machine.resume(v, g); // long call: no lock held
    log.append(new Action.Access(v, g), o);
    return o;
  }

  /**
   * The evidence that no call is left that could wake the vCPUs still running: each sleeps in handle_userfault,
   * the handler (if alive) sleeps in poll and no message is readable, and each vCPU still sleeps as it did
   * before those reads (same switch count), so none was woken in between.
   */
  private static boolean nobodyCanWake(ConcurrentMachine machine, List<Thread> vcpus, Thread uffd, Map<String, Integer> tids) {
    List<TaskState> asleep = new ArrayList<>();
    for (int v = 0; v < vcpus.size(); v++) {
      if (!vcpus.get(v).isAlive()) continue;
      Integer tid = tids.get("vcpu" + v);
      if (tid == null) return false;
      Optional<TaskState> s = SleepEvidence.asleepIn(tid, SleepEvidence.UFFD);
      if (s.isEmpty()) return false;
      asleep.add(s.get());
    }
    if (asleep.isEmpty()) return false;
    if (uffd != null && uffd.isAlive()) {
      Integer tid = tids.get("uffd");
      if (tid == null || SleepEvidence.asleepIn(tid, "poll").isEmpty()) return false;
      if (machine.awaitMessage(Duration.ZERO)) return false;
    }
    return asleep.stream().allMatch(s -> SleepEvidence.stillAsleep(s, SleepEvidence.UFFD));
  }

  private static Thread thread(String name, CountDownLatch start, int spin, ConcurrentLinkedQueue<String> problems,
      Map<String, Integer> tids, Runnable body) {
    Thread t = new Thread(() -> {
      tids.put(name, Libc.gettid());
      try {
        start.await();
        for (int k = 0; k < spin; k++) Thread.onSpinWait();
        body.run();
      } catch (InterruptedException e) {
        problems.add(name + ": interrupted");
      } catch (RuntimeException e) {
        problems.add(name + ": " + e.getMessage());
      }
    }, "kvmuf-concurrent-" + name);
    t.setDaemon(true); // a thread stuck in the kernel must not keep the JVM alive
    t.start();
    return t;
  }

  private static boolean join(Thread t, long deadlineNanos) {
    try {
      long ms = Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000);
      t.join(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return !t.isAlive();
  }
}
