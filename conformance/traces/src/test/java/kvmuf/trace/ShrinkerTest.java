package kvmuf.trace;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import kvmuf.model.Config;
import kvmuf.model.MutantId;
import kvmuf.model.StepObservation;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

class ShrinkerTest {

  @TestFactory
  Stream<DynamicTest> shrinkingADivergentTraceKeepsTheFailureAndIsIdempotent() {
    List<DynamicTest> tests = new ArrayList<>();
    SplittableRandom rnd = new SplittableRandom(7);
    List<Trace> corpus = TraceTestSupport.corpus("default", Generator.Strategy.RANDOM, 21, 40, 40);
    int n = 0;
    for (Trace t : corpus) {
      if (t.steps().size() < 8 || n == 8) {
        continue;
      }
      n++;
      int k = t.steps().size() - 1 - rnd.nextInt(3);
      List<TraceStep> steps = new ArrayList<>(t.steps());
      List<StepObservation> altered = TraceReplayTest.alter(steps.get(k).observations(), rnd);
      steps.set(k, TraceStep.expect(k, steps.get(k).action(), altered));
      Trace bad = TraceTestSupport.roundTrip(t.withSteps(steps));
      tests.add(DynamicTest.dynamicTest("trace " + n + " altered at step " + k, () -> check(bad, Shrinker.Until.DIVERGES)));
    }
    assertThat(n).isEqualTo(8);
    return tests.stream();
  }

  @TestFactory
  Stream<DynamicTest> shrinkingAViolatingTraceKeepsTheInvariantAndIsIdempotent() {
    List<DynamicTest> tests = new ArrayList<>();
    Object[][] mutants = {
      {"small", MutantId.NoZapOnEnable}, {"small", MutantId.NoUffdForKvmAccess}, {"small", MutantId.NoWakeOnEexist},
      {"small-dirty", MutantId.RecoverWithDirtyLog}, {"small-gmem", MutantId.ClearBeforeInstall},
    };
    for (Object[] m : mutants) {
      Config c = TraceTestSupport.mutant((String) m[0], (MutantId) m[1]);
      tests.add(DynamicTest.dynamicTest(m[0] + " " + m[1], () -> {
        Replayer r = new Replayer(new ModelTarget(ModelTarget.Choice.FIRST));
        Trace violating = null;
        for (Trace t : TraceTestSupport.corpus(c, Generator.Strategy.COVERAGE, 3, 200, 40)) {
          if (r.replay(t, null).violation().isPresent()) {
            violating = t;
            break;
          }
        }
        if (m[1] == MutantId.NoWakeOnEexist) {
          // Its failure is a deadlock (a waiter nobody wakes), not an invariant: nothing to shrink.
          assertThat(violating).isNull();
          Trace any = TraceTestSupport.corpus(c, Generator.Strategy.RANDOM, 3, 1, 20).getFirst();
          assertThat(new Shrinker(Shrinker.Until.VIOLATES).shrink(any)).isEmpty();
          return;
        }
        assertThat(violating).as("the coverage corpus finds the mutant's violation").isNotNull();
        Shrinker.Result res = check(TraceTestSupport.roundTrip(violating), Shrinker.Until.VIOLATES);
        // A shrunk violating trace is a valid trace: it replays without divergence up to the violation.
        Replayer.Result rr = r.replay(res.shrunk(), null);
        assertThat(rr.divergence()).isEmpty();
        assertThat(rr.violation()).isPresent();
        assertThat(rr.violation().get().step()).isEqualTo(res.shrunk().steps().size() - 1);
      }));
    }
    return tests.stream();
  }

  static Shrinker.Result check(Trace bad, Shrinker.Until until) {
    Optional<Shrinker.Result> r = new Shrinker(until).shrink(bad);
    assertThat(r).isPresent();
    Trace shrunk = r.get().shrunk();
    assertThat(shrunk.steps().size()).isLessThanOrEqualTo(bad.steps().size()).isGreaterThan(0);
    String text = TraceCodec.toText(shrunk);
    Trace reread = TraceCodec.parse("shrunk.ndjson", text.lines().toList());
    Optional<Shrinker.Result> again = new Shrinker(until).shrink(reread);
    assertThat(again).as("the shrunk trace still fails").isPresent();
    assertThat(again.get().failure()).isEqualTo(r.get().failure());
    assertThat(TraceCodec.toText(again.get().shrunk())).as("idempotent").isEqualTo(text);
    // 1-minimal: dropping any single step loses the failure.
    for (int k = 0; k < reread.steps().size(); k++) {
      List<TraceStep> fewer = new ArrayList<>(reread.steps());
      fewer.remove(k);
      List<TraceStep> renumbered = new ArrayList<>();
      for (int j = 0; j < fewer.size(); j++) {
        renumbered.add(fewer.get(j).withIndex(j));
      }
      Optional<Shrinker.Result> f = new Shrinker(until).shrink(reread.withSteps(renumbered));
      assertThat(f.map(Shrinker.Result::failure).filter(r.get().failure()::equals)).as("without step %d", k).isEmpty();
    }
    return r.get();
  }
}
