package kvmuf.trace;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.Optional;
import kvmuf.model.Config;
import kvmuf.model.MutantId;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A distinguishing trace replays on the correct model and diverges on the mutant's, at its last step: the
 * trace is one a kernel with the correct protocol passes and a kernel with the mutant's bug cannot.
 */
class DistinguisherTest {
  @ParameterizedTest
  @CsvSource({
    "small, NoZapOnEnable", "small, NoZapOnReenable", "small-gmem, HugeWhileUserfault", "small-gmem, WrongExitFlags",
    "small-dirty, RecoverWithDirtyLog"})
  void replaysOnTheCorrectModelAndDivergesOnTheMutantsAtItsLastStep(String config, String mutant) {
    Config c = Config.load(config);
    MutantId m = MutantId.valueOf(mutant);
    long t0 = System.nanoTime();
    Trace t = new Distinguisher(c, m, 24, 200_000).find("uf-v3").orElseThrow(() -> new AssertionError("no trace for " + mutant));
    System.out.printf("%s on %s: %d steps, %.1f s: %s%n", mutant, config, t.steps().size(), (System.nanoTime() - t0) / 1e9,
        t.steps().stream().map(s -> s.action().toString()).toList());
    assertThat(t.header().generator()).isEqualTo("mutant:" + mutant);
    Replayer.Result ok = new Replayer(new ModelTarget(ModelTarget.Choice.FIRST)).replay(t, null);
    assertThat(ok.ok()).as("the correct model passes it").isTrue();
    assertThat(ok.unsupported()).isEmpty();
    Trace onMutant = new Trace(t.source(), new TraceHeader(TraceHeader.FORMAT, c.withMutants(EnumSet.of(m)), 0, "uf-v3", "test"), t.steps());
    Replayer.Result bad = new Replayer(new ModelTarget(ModelTarget.Choice.FIRST)).replay(onMutant, null);
    assertThat(bad.ok()).as("the mutant's model diverges").isFalse();
  }
}
