package kvmuf.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.Observation;
import kvmuf.model.StepObservation;
import org.junit.jupiter.api.Test;

/**
 * What only a kernel shows (an MMIO exit, another exit, no progress, no message, kernel WARNs) is written and read
 * back in the trace format like the model's own kinds, and the model never allows it: a logged run that shows one
 * is a divergence naming what the kernel did.
 */
class KernelOnlyKindsTest {
  static final int NO = Target.PAGES_NOT_OBSERVED;

  static final List<Observation> KERNEL_ONLY = List.of(
      new Observation.MmioExit(0x210000, 4, false),
      new Observation.OtherExit("KVM_EXIT_SHUTDOWN"),
      new Observation.NoProgress("vCPU 0: no exit within 30 s"),
      new Observation.NoMessage(),
      new Observation.KernelWarnings(2, "WARNING: at arch/x86/kvm/mmu/mmu.c"));

  static Trace logged(Observation o) {
    Config c = Config.load("conform-upstream");
    return new Trace("mem", new TraceHeader(TraceHeader.FORMAT, c, 1, "upstream", "observed"),
        List.of(TraceStep.observed(0, new Action.Access(0, 0), new StepObservation(o, Map.of(), NO, NO))));
  }

  @Test
  void eachKernelOnlyKindRoundTripsThroughTheTraceFormat() {
    for (Observation o : KERNEL_ONLY) {
      Trace t = logged(o);
      Trace back = TraceCodec.parse("mem", List.of(TraceCodec.toText(t).split("\n")));
      assertThat(back.steps().getFirst().observed().result()).as(o.kind().id).isEqualTo(o);
      assertThat(TraceCodec.text(back.steps().getFirst().observed())).contains("\"kind\":\"" + o.kind().id + "\"");
    }
  }

  @Test
  void theModelNeverAllowsOne() {
    for (Observation o : KERNEL_ONLY) {
      Replayer.Result r = new Replayer(new ModelTarget(ModelTarget.Choice.FIRST)).replay(logged(o), null);
      assertThat(r.divergence()).as(o.kind().id).hasValueSatisfying(d -> assertThat(d.reason()).contains("not allowed by the model"));
    }
  }

  @Test
  void aBadFieldIsNamedWithItsLine() {
    String[] lines = TraceCodec.toText(logged(new Observation.MmioExit(0, 4, false))).split("\n");
    assertThat(lines[1]).contains("\"write\":false");
    String header = lines[0];
    String step = lines[1].replace("\"write\":false", "\"write\":\"no\"");
    assertThatThrownBy(() -> TraceCodec.parse("t.ndjson", List.of(header, step)))
        .isInstanceOf(TraceFormatException.class).hasMessageContaining("t.ndjson:2").hasMessageContaining("write");
  }
}
