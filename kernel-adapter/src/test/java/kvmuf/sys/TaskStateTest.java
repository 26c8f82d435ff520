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
    assertThatThrownBy(() -> TaskState.of(gone)).isInstanceOf(TaskState.NoSuchThreadException.class);
  }

  @Test
  void theReadingThreadItselfRunsAndTheKernelHasWorkers() {
    TaskState me = TaskState.of(Libc.gettid());
    assertThat(me.state()).isEqualTo('R');
    assertThat(me.sleeping()).isFalse();
    assertThat(TaskState.perCpuKernelWorkers()).as("every Linux has per-CPU kworkers").isNotEmpty();
  }
}
