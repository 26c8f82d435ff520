package kvmuf.conform.concurrent;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.Observation;
import kvmuf.model.StepObservation;
import kvmuf.model.ValueClass;
import kvmuf.trace.Target;
import kvmuf.trace.Trace;
import kvmuf.trace.TraceCodec;
import kvmuf.trace.TraceStep;
import kvmuf.trace.Validator;
import org.junit.jupiter.api.Test;

/**
 * The log format of a concurrent run, and what the validator makes of it (no kernel): a log written the way
 * {@link ConcurrentLog} orders it is accepted; a corrupted one is rejected at the corrupted line.
 */
class ConcurrentLogTest {
  static final Config C = Config.load("conform-upstream");
  static final Observation FETCHED = new Observation.Read(ValueClass.FETCHED);
  static final Observation OK = new Observation.Ioctl("ok");

  static Observation event(int g) {
    return new Observation.UffdEvent(g * Observation.PAGE_SIZE, List.of());
  }

  /**
   * Both vCPUs fault (vcpu1 on g1, vcpu0 on g0, then g1), the VMM enables dirty logging while they sleep: its
   * update returns only after the COPYs woke them, so its line comes late; each read after the COPY that woke it.
   */
  static ConcurrentLog realistic() {
    ConcurrentLog log = new ConcurrentLog(C, 5, "upstream");
    log.holding(() -> {
      log.append(new Action.UffdRead(1), event(1));
      log.append(new Action.UffdInstall(1), OK);
      return null;
    });
    log.append(new Action.Access(1, 1), FETCHED);
    log.holding(() -> {
      log.append(new Action.UffdRead(0), event(0));
      log.append(new Action.UffdInstall(0), OK);
      return null;
    });
    log.append(new Action.EnableDirtyLog(), OK);
    log.append(new Action.Access(0, 0), FETCHED);
    log.append(new Action.Access(0, 1), FETCHED); // g1 is installed already: no fault, no message
    return log;
  }

  static Trace withLine(Trace t, int k, Action a, Observation o) {
    assertThat(t.steps().get(k).action()).as("the line replaced keeps its action").isEqualTo(a);
    List<TraceStep> steps = new ArrayList<>(t.steps());
    steps.set(k, TraceStep.observed(k, a, new StepObservation(o, Map.of(), Target.PAGES_NOT_OBSERVED, Target.PAGES_NOT_OBSERVED)));
    return t.withSteps(steps);
  }

  static Trace reordered(Trace t, int... order) {
    List<TraceStep> steps = new ArrayList<>();
    for (int k : order) steps.add(t.steps().get(k).withIndex(steps.size()));
    return t.withSteps(steps);
  }

  static Trace roundTrip(Trace t) {
    return TraceCodec.parse("log.ndjson", TraceCodec.toText(t).lines().toList());
  }

  @Test
  void aLogInTheConcurrentOrderIsWrittenInTheTraceFormatAndAccepted() {
    Trace t = roundTrip(realistic().trace("run-000000"));
    String text = TraceCodec.toText(t);
    assertThat(text.lines().findFirst().orElseThrow()).contains("\"generator\":\"concurrent\"").contains("\"name\":\"conform-upstream\"");
    assertThat(text).doesNotContain("unblocked").contains("\"pages_4k\":-1,\"pages_2m\":-1");
    assertThat(t.steps()).extracting(TraceStep::i).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
    Validator.Result r = new Validator().validate(t);
    assertThat(r.accepted()).isTrue();
    assertThat(r.explained()).isEqualTo(8);
  }

  @Test
  void aReadWithAnotherValueClassIsRejectedAtItsLine() {
    Trace t = realistic().trace("run-000000");
    for (ValueClass wrong : List.of(ValueClass.ZERO, ValueClass.STALE)) {
      Validator.Result r = new Validator().validate(roundTrip(withLine(t, 6, new Action.Access(0, 0), new Observation.Read(wrong))));
      assertThat(r.rejected()).as(wrong.tla).isTrue();
      assertThat(r.firstUnexplained()).isEqualTo(6);
      assertThat(r.firstUnexplainedLine()).isEqualTo(8);
      assertThat(r.explained()).isEqualTo(6);
      assertThat(r.possibleAtFailure()).extracting(StepObservation::result).contains(FETCHED);
    }
  }

  @Test
  void aCopyMovedBeforeTheMessageItAnswersIsRejectedAtTheCopy() {
    Trace t = realistic().trace("run-000000");
    // UffdInstall g0 (step 4) logged before UffdRead g0 (step 3): no message for g0 has been read yet
    Validator.Result r = new Validator().validate(roundTrip(reordered(t, 0, 1, 2, 4, 3, 5, 6, 7)));
    assertThat(r.rejected()).isTrue();
    assertThat(r.firstUnexplained()).isEqualTo(3);
    assertThat(r.possibleAtFailure()).as("the model cannot install g0 here").isEmpty();
  }

  /**
   * Why the handler holds the log lock across its syscalls: were the handler's lines appended late (after the
   * vCPU it woke appended its read), the read would precede both of them, and no behaviour of the model explains
   * a read of a missing page before the message for it was even read.
   */
  @Test
  void aReadLoggedBeforeTheHandlerLinesThatResolvedItIsRejected() {
    Trace t = realistic().trace("run-000000");
    Validator.Result r = new Validator().validate(roundTrip(reordered(t, 2, 0, 1, 3, 4, 5, 6, 7)));
    assertThat(r.rejected()).isTrue();
    assertThat(r.firstUnexplained()).isZero();
  }

  @Test
  void aMemoryFaultExitOnAnUpstreamConfigIsRejected() {
    Trace t = realistic().trace("run-000000");
    Observation exit = new Observation.MemoryFaultExit(0, 4096, List.of("USERFAULT"));
    Validator.Result r = new Validator().validate(roundTrip(withLine(t, 6, new Action.Access(0, 0), exit)));
    assertThat(r.rejected()).isTrue();
    assertThat(r.firstUnexplained()).isEqualTo(6);
  }
}
