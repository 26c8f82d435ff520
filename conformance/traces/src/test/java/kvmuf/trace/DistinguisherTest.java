package kvmuf.trace;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.Optional;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.MutantId;
import kvmuf.model.Observation;
import kvmuf.model.StepObservation;
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
    "small-dirty, RecoverWithDirtyLog", "small-gmem-private, NoPrivateFlag"})
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

  /**
   * For a target that does not report pages_4k (a kernel: the VM-wide count is not the slot's) the search goes on
   * from every state whose observation the target reports alike: the enable's zap shows in pages_4k (1 for the
   * mutant, 0 for the correct model), and a search that followed only the full observation stopped there and
   * found no trace at all. It must find the one where the difference is the result, an exit against a read.
   */
  @ParameterizedTest
  @CsvSource({"NoZapOnEnable, 6", "NoZapOnReenable, 8"})
  void aTargetWithoutPages4kGetsTheTraceWhoseLastStepDiffersInItsResult(String mutant, int steps) {
    Config c = Config.load("small");
    Trace t = new Distinguisher(c, MutantId.valueOf(mutant), 16, 10_000,
        o -> new StepObservation(o.result(), o.unblocked(), Target.PAGES_NOT_OBSERVED, o.pages2m()))
        .find("uf-v3").orElseThrow(() -> new AssertionError("no trace for " + mutant));
    assertThat(t.steps()).hasSize(steps);
    TraceStep last = t.steps().getLast();
    assertThat(last.action()).isInstanceOf(Action.Access.class);
    // gfn 0: a kernel that zaps all but the slot's first page (PartialZapOnEnable) is caught by the same trace
    assertThat(((Action.Access) last.action()).gfn()).isZero();
    assertThat(last.observations()).isNotEmpty().allSatisfy(o -> assertThat(o.result()).isInstanceOf(Observation.MemoryFaultExit.class));
    Replayer.Result ok = new Replayer(new ModelTarget(ModelTarget.Choice.FIRST)).replay(t, null);
    assertThat(ok.ok()).as("the correct model passes it").isTrue();
    Trace onMutant = new Trace(t.source(), new TraceHeader(TraceHeader.FORMAT, c.withMutants(EnumSet.of(MutantId.valueOf(mutant))), 0, "uf-v3", "test"), t.steps());
    assertThat(new Replayer(new ModelTarget(ModelTarget.Choice.FIRST)).replay(onMutant, null).ok()).as("the mutant's model diverges").isFalse();
  }

  /**
   * On private memory the correct model's exit carries PRIVATE as well as USERFAULT (what a kernel's
   * kvm_prepare_memory_fault_exit() sets from fault->is_private), and a kernel that drops it (NoPrivateFlag)
   * differs there: the distinguishing trace ends at that exit.
   */
  @org.junit.jupiter.api.Test
  void aPrivateGfnsExitCarriesPrivateAndTheNoPrivateFlagTraceEndsThere() {
    Config c = Config.load("small-gmem-private");
    Trace t = new Distinguisher(c, MutantId.NoPrivateFlag, 16, 10_000).find("uf-v3")
        .orElseThrow(() -> new AssertionError("no trace for NoPrivateFlag"));
    TraceStep last = t.steps().getLast();
    assertThat(last.action()).isInstanceOf(Action.Access.class);
    assertThat(last.observations()).isNotEmpty().allSatisfy(o -> assertThat(o.result())
        .isInstanceOfSatisfying(Observation.MemoryFaultExit.class,
            e -> assertThat(e.flags()).containsExactly("USERFAULT", "PRIVATE")));
  }
}
