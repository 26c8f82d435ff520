package kvmuf.conform.concurrent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.Observation;

/**
 * Runs one {@link Workload} on a {@link ConcurrentMachine}: one platform thread per vCPU, one uffd handler thread
 * (when the config registers userfaultfd) and one VMM thread (when the workload has memslot updates), all released
 * together and then left alone; each logs its calls into the run's {@link ConcurrentLog} as that class says.
 *
 * <p>vCPU threads: for each gfn of the workload, a guest read (KVM_RUN through the guest agent; a long call) and
 * its line; a result other than a completed read ends that vCPU's list (the agent is then stopped mid-access).
 * The VMM thread: each flags-only memslot update (a long call: it may wait in synchronize_srcu for a vCPU asleep
 * in userfaultfd) and its line, never holding the log lock. MADV_DONTNEED is left out: no shipped config that an
 * upstream kernel can run allows an invalidation, and the model's Retry (a re-executed access) has no line of
 * its own on a real vCPU.
 *
 * <p>A run that does not finish within the patience (a vCPU still in KVM_RUN, e.g. asleep in userfaultfd with
 * nobody to wake it) is stopped: the handler first, then the userfaultfd is closed so the sleepers finish; the
 * result names what was stuck.
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
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> vcpus = new ArrayList<>();
    for (int v = 0; v < w.vcpus(); v++) {
      int vcpu = v;
      vcpus.add(thread("vcpu" + v, start, w.vcpuSpin(v), problems, () -> {
        for (int g : w.reads().get(vcpu)) {
          Observation o = machine.read(vcpu, g); // long call: no lock held
          log.append(new Action.Access(vcpu, g), o);
          if (!(o instanceof Observation.Read)) return;
        }
      }));
    }
    UffdHandler handler = machine.hasUffd()
        ? new UffdHandler(machine, log, config, w.resolutions(), () -> vcpus.stream().noneMatch(Thread::isAlive))
        : null;
    Thread uffd = handler == null ? null : thread("uffd", start, 0, problems, handler);
    Thread vmm = w.vmm().isEmpty() ? null : thread("vmm", start, w.vmmSpin(), problems, () -> {
      for (Action a : w.vmm()) {
        Observation o = machine.memslotUpdate(a); // long call: no lock held
        log.append(a, o);
      }
    });
    start.countDown();

    long deadline = System.nanoTime() + patience.toNanos();
    List<String> stuck = new ArrayList<>();
    for (int v = 0; v < vcpus.size(); v++) {
      if (!join(vcpus.get(v), deadline)) stuck.add("vcpu" + v + " still in KVM_RUN");
    }
    if (vmm != null && !join(vmm, deadline)) stuck.add("vmm still in KVM_SET_USER_MEMORY_REGION2");
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
      problems.add("the run did not finish within " + patience.toSeconds() + " s: " + String.join(", ", stuck));
    }
    List<Thread> all = new ArrayList<>(vcpus);
    if (uffd != null) all.add(uffd);
    if (vmm != null) all.add(vmm);
    boolean stopped = all.stream().noneMatch(Thread::isAlive);
    return new Finished(problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems)), stopped);
  }

  private static Thread thread(String name, CountDownLatch start, int spin, ConcurrentLinkedQueue<String> problems, Runnable body) {
    Thread t = new Thread(() -> {
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
