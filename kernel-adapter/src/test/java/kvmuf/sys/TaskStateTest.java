package kvmuf.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** TaskState reads this process's threads from /proc: a thread parked in a futex sleeps, a busy one runs. */
class TaskStateTest {
  @Test
  void aParkedThreadSleepsInTheKernelAndItsCountersAreRead() throws Exception {
    AtomicInteger tid = new AtomicInteger();
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Thread t = new Thread(() -> {
      tid.set(Libc.gettid());
      started.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    t.start();
    started.await();
    TaskState s;
    do {
      s = TaskState.of(tid.get());
      // it goes to sleep in release.await() right after counting down; the wait channel shows once it is off its CPU
    } while (!s.sleeping() || (TaskState.wchanSupported() && !s.wchanKnown()));
    assertThat(s.tid()).isEqualTo(tid.get());
    assertThat(s.voluntary()).isGreaterThanOrEqualTo(1);
    assertThat(s.nonvoluntary()).isGreaterThanOrEqualTo(0);
    assertThat(s.cpu()).isGreaterThanOrEqualTo(0);
    if (TaskState.wchanSupported()) assertThat(s.wchan()).contains("futex");
    release.countDown();
    t.join();
    int gone = tid.get();
    // Thread.join returns once the Java thread is done; the kernel task may still be exiting for a moment (seen on a
    // loaded 2-core machine), so its /proc entry is given up to 5 s to go.
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (java.nio.file.Files.exists(java.nio.file.Path.of("/proc/self/task/" + gone)) && System.nanoTime() < deadline) Thread.sleep(10);
    assertThatThrownBy(() -> TaskState.of(gone)).isInstanceOf(TaskState.NoSuchThreadException.class);
  }

  @Test
  void theReadingThreadItselfRuns() {
    TaskState me = TaskState.of(Libc.gettid());
    assertThat(me.state()).isEqualTo('R');
    assertThat(me.sleeping()).isFalse();
    assertThat(TaskState.schedState(Libc.gettid())).isEqualTo('R');
  }

  @Test
  void theWorkersWatchedForQueuedWorkAreThePerCpuNormalPoolsAndKthreadd() {
    // A worker running an item shows "+wq", one that ran it "-wq": both are the pool's workers. Missing the
    // "+" form once let a vCPU fault before SRCU's flip while the rcu_gp item was still running.
    assertThat(TaskState.mayRunQueuedWork("kworker/0:1+rcu_gp")).isTrue();
    assertThat(TaskState.mayRunQueuedWork("kworker/1:2-events")).isTrue();
    assertThat(TaskState.mayRunQueuedWork("kworker/1:0")).isTrue();
    assertThat(TaskState.mayRunQueuedWork("kthreadd")).as("a new kernel thread before it is named").isTrue();
    assertThat(TaskState.mayRunQueuedWork("kworker/0:1H-kblockd")).as("highpri pool").isFalse();
    assertThat(TaskState.mayRunQueuedWork("kworker/u4:2-events_unbound")).as("unbound pool").isFalse();
    assertThat(TaskState.mayRunQueuedWork("kworker/R-rcu_gp")).as("rescuer").isFalse();
    assertThat(TaskState.mayRunQueuedWork("ksoftirqd/0")).isFalse();
  }

  @Test
  void kernelWorkersAreListedAndReadWithoutError() {
    // Whether one runs right now is the kernel's business; reading them must work on any Linux.
    TaskState.kernelWorkerRunnable();
    TaskState.KernelWorkers oneWait = new TaskState.KernelWorkers();
    oneWait.anyRunnable();
    oneWait.anyRunnable(); // the second read skips the kernel threads the first found to be no workers
  }
}
