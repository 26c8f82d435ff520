package kvmuf.conform;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import kvmuf.kvm.Vcpu;
import kvmuf.sys.Libc;
import kvmuf.x86.guest.AgentResult;
import kvmuf.x86.guest.GuestAgent;

/**
 * One vCPU and the platform thread that runs it. KVM_RUN may sleep in the kernel (a userfaultfd fault on
 * the vCPU's behalf), so every guest access runs on this thread and the target waits for it with a
 * deadline (each access signals the starting thread's wakeup when it ends, {@link SleepEvidence#watched}, so
 * that wait ends as soon as the access does); the thread's tid tells which vCPU a uffd message came from (UFFD_FEATURE_THREAD_ID).
 */
final class VcpuWorker implements AutoCloseable {
  private final int index;
  private final ExecutorService thread;
  private final GuestAgent agent;
  private volatile int tid;
  /** The access in flight (running, asleep in uffd, or stopped at an exit), or null when the agent awaits a command. */
  private CompletableFuture<AgentResult> inFlight;
  private int gfn;
  /** The access in flight is KVM's own read (the agent's string I/O), not a guest load: it completes as kvm_read. */
  private boolean kvmRead;

  VcpuWorker(int index, GuestAgent.Program program, Vcpu vcpu) {
    this.index = index;
    this.thread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "vcpu" + index);
              t.setDaemon(true); // a vCPU stuck in the kernel must not keep the JVM alive
              return t;
            });
    CompletableFuture<GuestAgent> a =
        CompletableFuture.supplyAsync(
            () -> {
              tid = Libc.gettid();
              return program.start(vcpu);
            },
            thread);
    this.agent = a.join();
  }

  int index() {
    return index;
  }

  int tid() {
    return tid;
  }

  Vcpu vcpu() {
    return agent.vcpu();
  }

  boolean busy() {
    return inFlight != null;
  }

  /** The gfn of the access in flight. */
  int gfn() {
    return gfn;
  }

  CompletableFuture<AgentResult> inFlight() {
    return inFlight;
  }

  /** Whether the access in flight is KVM's own read. */
  boolean kvmRead() {
    return kvmRead;
  }

  /** Starts a guest access (read, resume) on the vCPU thread. */
  CompletableFuture<AgentResult> start(int gfn, Function<GuestAgent, AgentResult> access) {
    return start(gfn, false, access);
  }

  /** Starts an access on the vCPU thread; {@code kvmRead}: it is KVM's own read of the gfn. */
  CompletableFuture<AgentResult> start(int gfn, boolean kvmRead, Function<GuestAgent, AgentResult> access) {
    if (inFlight != null) throw new IllegalStateException("vCPU " + index + " has an access in flight (g" + this.gfn + ")");
    this.gfn = gfn;
    this.kvmRead = kvmRead;
    inFlight = SleepEvidence.watched(CompletableFuture.supplyAsync(() -> access.apply(agent), thread));
    return inFlight;
  }

  /** Resumes the interrupted access after an exit; the gfn stays the same. */
  CompletableFuture<AgentResult> resume() {
    if (inFlight == null || !inFlight.isDone()) throw new IllegalStateException("vCPU " + index + " has no stopped access to resume");
    inFlight = SleepEvidence.watched(CompletableFuture.supplyAsync(agent::resume, thread));
    return inFlight;
  }

  /** Gives up the access stopped at an exit and starts {@code access} on {@code gfn} instead. */
  CompletableFuture<AgentResult> restart(int gfn, Function<GuestAgent, AgentResult> access) {
    return restart(gfn, false, access);
  }

  /** As {@link #restart(int, Function)}; {@code kvmRead}: the new access is KVM's own read. */
  CompletableFuture<AgentResult> restart(int gfn, boolean kvmRead, Function<GuestAgent, AgentResult> access) {
    if (inFlight == null || !inFlight.isDone()) throw new IllegalStateException("vCPU " + index + " has no stopped access to give up");
    this.gfn = gfn;
    this.kvmRead = kvmRead;
    inFlight = SleepEvidence.watched(CompletableFuture.supplyAsync(() -> {
      agent.abandon();
      return access.apply(agent);
    }, thread));
    return inFlight;
  }

  /** The access completed (the agent awaits the next command). */
  void completed() {
    inFlight = null;
  }

  /** Waits for the vCPU thread to finish (after the uffd is closed, nothing can keep it asleep). */
  boolean shutdown(long millis) throws InterruptedException {
    thread.shutdown();
    return thread.awaitTermination(millis, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
