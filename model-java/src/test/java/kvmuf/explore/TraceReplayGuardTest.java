package kvmuf.explore;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import kvmuf.check.CheckResult;
import kvmuf.check.TraceState;
import kvmuf.model.Config;
import kvmuf.model.MutantId;
import kvmuf.tlc.TlcRunner;
import kvmuf.tlc.TlcTraceReplay;
import org.junit.jupiter.api.Test;

/** The replay check can say no: a counterexample with one step tampered with is not reproduced. */
class TraceReplayGuardTest {
  @Test
  void aTamperedStepIsRejectedByTlc() {
    Config c = Config.load("small").withMutants(EnumSet.of(MutantId.NoSeqRetry));
    CheckResult java = new Explorer(c, 1, s -> {}).run();
    List<TraceState> trace = new ArrayList<>(java.trace());
    int k = trace.size() / 2;
    Map<String, String> vars = new LinkedHashMap<>(trace.get(k).vars());
    // Claim the memslot gained DIRTY_LOG in the middle of the run: no action of the spec does that here.
    vars.put("flags", "{\"DIRTY_LOG\"}");
    trace.set(k, new TraceState(trace.get(k).index(), trace.get(k).action(), vars));
    TlcTraceReplay replay = new TlcTraceReplay(TlcRunner.locate());
    assertThat(replay.reproduces("small", Optional.of("NoSeqRetry"), java.trace(), "NoStaleMapping")).isTrue();
    assertThat(replay.reproduces("small", Optional.of("NoSeqRetry"), trace, "NoStaleMapping")).isFalse();
  }
}
