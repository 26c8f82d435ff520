package kvmuf.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.Observation;
import kvmuf.model.StepObservation;
import kvmuf.model.ValueClass;
import org.junit.jupiter.api.Test;

/**
 * A logged run whose target cannot read the mapping counts writes -1 in both page fields: the reader accepts
 * that in observed lines only, and the validator and replays compare the rest of such a line.
 */
class PagesNotObservedTest {
  static final int NO = Target.PAGES_NOT_OBSERVED;

  static StepObservation obs(Observation o) {
    return new StepObservation(o, Map.of(), NO, NO);
  }

  /** vCPU0 faults on gfn 0, the uffd reader resolves it, vCPU0's read is logged when it returned. */
  static List<TraceStep> log() {
    return List.of(
        TraceStep.observed(0, new Action.UffdRead(0), obs(new Observation.UffdEvent(0, List.of()))),
        TraceStep.observed(1, new Action.UffdInstall(0), obs(new Observation.Ioctl("ok"))),
        TraceStep.observed(2, new Action.Access(0, 0), obs(new Observation.Read(ValueClass.FETCHED))));
  }

  static Trace trace(List<TraceStep> steps) {
    Config c = Config.load("conform-upstream");
    return new Trace("mem", new TraceHeader(TraceHeader.FORMAT, c, 1, "upstream", "concurrent"), steps);
  }

  @Test
  void notObservedPagesAreReadBackAndTheRestIsStillCompared() {
    Trace t = TraceTestSupport.roundTrip(trace(log()));
    assertThat(TraceCodec.toText(t)).contains("\"pages_4k\":-1,\"pages_2m\":-1");
    assertThat(t.steps().get(2).observed().pages4k()).isEqualTo(NO);
    assertThat(new Validator().validate(t).accepted()).isTrue();

    List<TraceStep> wrong = new ArrayList<>(log());
    wrong.set(2, TraceStep.observed(2, new Action.Access(0, 0), obs(new Observation.Read(ValueClass.STALE))));
    Validator.Result r = new Validator().validate(TraceTestSupport.roundTrip(trace(wrong)));
    assertThat(r.rejected()).isTrue();
    assertThat(r.firstUnexplained()).isEqualTo(2);
  }

  @Test
  void aSequentialLoggedRunWithoutPagesReplaysOnTheModel() {
    List<TraceStep> seq = List.of(
        TraceStep.observed(0, new Action.Access(0, 0), obs(new Observation.UffdBlocked(0))),
        TraceStep.observed(1, new Action.UffdRead(0), obs(new Observation.UffdEvent(0, List.of()))),
        TraceStep.observed(2, new Action.UffdInstall(0), new StepObservation(new Observation.Ioctl("ok"),
            Map.of("vcpu0", new Observation.Read(ValueClass.FETCHED)), NO, NO)));
    Trace t = TraceTestSupport.roundTrip(trace(seq));
    Replayer.Result r = new Replayer(new ModelTarget(ModelTarget.Choice.FIRST)).replay(t, null);
    assertThat(r.divergence()).isEmpty();
    assertThat(r.stepsReplayed()).isEqualTo(3);
  }

  @Test
  void minusOneIsRefusedInExpectSetsAndInOneFieldAlone() {
    String header = TraceCodec.headerLine(trace(List.of()).header());
    String expect = "{\"i\":0,\"actor\":\"uffd\",\"action\":\"UffdRead\",\"args\":{\"gfn\":0},"
        + "\"expect\":[{\"kind\":\"uffd_event\",\"address\":0,\"flags\":[],\"pages_4k\":-1,\"pages_2m\":-1}]}";
    assertThatThrownBy(() -> TraceCodec.parse("x.ndjson", List.of(header, expect)))
        .isInstanceOf(TraceFormatException.class).hasMessageContaining("pages_4k").hasMessageContaining("out of range");
    String half = "{\"i\":0,\"actor\":\"uffd\",\"action\":\"UffdRead\",\"args\":{\"gfn\":0},"
        + "\"observed\":{\"kind\":\"uffd_event\",\"address\":0,\"flags\":[],\"pages_4k\":-1,\"pages_2m\":0}}";
    assertThatThrownBy(() -> TraceCodec.parse("x.ndjson", List.of(header, half)))
        .isInstanceOf(TraceFormatException.class).hasMessageContaining("pages_4k");
  }
}
