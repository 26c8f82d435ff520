package kvmuf.sys;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A thread's wakeup: another thread's signal or a readable fd ends its wait early; nothing else does. */
class WakeupTest {
  private static final long LONG_WAIT = TimeUnit.SECONDS.toNanos(10);

  @Test
  void aSignalFromAnotherThreadEndsTheWaitAtOnceAndIsConsumed() {
    Wakeup mine = Wakeup.ofThisThread();
    CompletableFuture.runAsync(mine::signal).join();
    long t0 = System.nanoTime();
    assertThat(mine.await(LONG_WAIT, -1)).isTrue();
    assertThat(System.nanoTime() - t0).as("woken by the signal, not the timeout").isLessThan(LONG_WAIT / 2);
    assertThat(mine.await(0, -1)).as("the signal was consumed").isFalse();
  }

  @Test
  void withoutAnEventTheWaitLastsItsTimeout() {
    Wakeup mine = Wakeup.ofThisThread();
    mine.await(0, -1); // drop a signal an earlier test on this thread may have left
    long t0 = System.nanoTime();
    assertThat(mine.await(TimeUnit.MILLISECONDS.toNanos(20), -1)).isFalse();
    assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(20));
  }

  @Test
  void aReadableFdEndsTheWaitAndStaysReadableForItsReader() {
    Wakeup mine = Wakeup.ofThisThread();
    mine.await(0, -1);
    int other = Libc.eventfd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
    try (Arena a = Arena.ofConfined()) {
      MemorySegment one = a.allocate(8, 8);
      one.set(JAVA_LONG, 0, 1L);
      assertThat(mine.await(0, other)).isFalse();
      assertThat(Libc.writeRaw(other, one, 8)).isEqualTo(8);
      assertThat(mine.await(LONG_WAIT, other)).isTrue();
      assertThat(mine.await(0, other)).as("await does not read the other fd").isTrue();
      assertThat(Libc.readRaw(other, one, 8)).isEqualTo(8);
      assertThat(mine.await(0, other)).isFalse();
    } finally {
      Libc.close(other);
    }
  }
}
