package kvmuf.conform.concurrent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.Observation;
import kvmuf.trace.TraceStep;
import kvmuf.uffd.UffdEvent;
import org.junit.jupiter.api.Test;

/** The uffd handler's protocol and lines, on scripted userfaultfd answers (paths a kernel rarely takes). */
class UffdHandlerTest {
  static final Config C = Config.load("conform-upstream");
  static final long BASE = 0x7f0000000000L;

  /** Hands out scripted messages and answers; records the calls made. */
  static final class Script implements UffdCalls {
    final Deque<Optional<UffdEvent>> messages = new ArrayDeque<>();
    final Deque<String> copyAnswers = new ArrayDeque<>();
    final List<String> calls = new ArrayList<>();

    @Override
    public boolean awaitMessage(Duration d) {
      return !messages.isEmpty();
    }

    @Override
    public Optional<UffdEvent> read() {
      calls.add("read");
      return messages.poll();
    }

    @Override
    public int gfnOf(long address) {
      return (int) ((address - BASE) / 4096);
    }

    @Override
    public String copy(int gfn, boolean dontWake) {
      calls.add("copy g" + gfn + (dontWake ? " dontwake" : ""));
      return copyAnswers.isEmpty() ? "ok" : copyAnswers.poll();
    }

    @Override
    public String wake(int gfn) {
      calls.add("wake g" + gfn);
      return "ok";
    }
  }

  static Optional<UffdEvent> fault(int gfn) {
    return Optional.of(new UffdEvent.Pagefault(0, BASE + gfn * 4096L, 0));
  }

  static List<String> lines(ConcurrentLog log) {
    return log.trace("t").steps().stream()
        .map(s -> s.action().name() + " " + describe(s)).toList();
  }

  static String describe(TraceStep s) {
    return switch (s.observed().result()) {
      case Observation.Ioctl i -> i.result();
      case Observation.UffdEvent e -> "event@" + e.address();
      default -> s.observed().result().toString();
    };
  }

  static UffdHandler handler(Script s, ConcurrentLog log, Resolution g0, Resolution g1) {
    return new UffdHandler(s, log, C, List.of(g0, g1), () -> true);
  }

  @Test
  void copyAndCopyDontwakeThenWakeEachLogOneInstallLine() {
    Script s = new Script();
    s.messages.add(fault(0));
    s.messages.add(fault(1));
    ConcurrentLog log = new ConcurrentLog(C, 1, "upstream");
    handler(s, log, Resolution.COPY, Resolution.COPY_DONTWAKE_THEN_WAKE).run();
    assertThat(s.calls).containsExactly("read", "copy g0", "read", "copy g1 dontwake", "wake g1");
    assertThat(lines(log)).containsExactly("UffdRead event@0", "UffdInstall ok", "UffdRead event@4096", "UffdInstall ok");
    assertThat(log.trace("t").steps().get(0).action()).isEqualTo(new Action.UffdRead(0));
  }

  @Test
  void eexistIsLoggedAndFollowedByAWake() {
    Script s = new Script();
    s.messages.add(fault(1));
    s.copyAnswers.add("EEXIST");
    ConcurrentLog log = new ConcurrentLog(C, 1, "upstream");
    handler(s, log, Resolution.COPY, Resolution.COPY_DONTWAKE_THEN_WAKE).run();
    assertThat(s.calls).containsExactly("read", "copy g1 dontwake", "wake g1");
    assertThat(lines(log)).containsExactly("UffdRead event@4096", "UffdInstall EEXIST", "UffdWake ok");
  }

  @Test
  void aMessageGoneByReadTimeLogsNothingAndAFaultOutsideTheGfnsIsAProblem() {
    Script s = new Script();
    s.messages.add(Optional.empty()); // readable at poll, gone at read (its waiter was woken)
    s.messages.add(fault(5)); // conform-upstream has gfns 0 and 1
    ConcurrentLog log = new ConcurrentLog(C, 1, "upstream");
    UffdHandler h = handler(s, log, Resolution.COPY, Resolution.COPY);
    h.run();
    assertThat(log.size()).isZero();
    assertThat(s.calls).containsExactly("read", "read");
    assertThat(h.problem()).contains("outside the model's gfns");
  }
}
