package kvmuf.trace;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import kvmuf.model.Config;
import kvmuf.model.Observation;
import kvmuf.model.StepObservation;
import kvmuf.model.ValueClass;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

class TraceReplayTest {
  static final List<String> CONFIGS = List.of("small", "small-gmem", "small-dirty", "small-arm64", "small-apf", "apf-uffd", "conform-upstream", "default",
      "small-delete", "small-move", "remote-uffd");

  @TestFactory
  Stream<DynamicTest> everyGeneratedTraceReplaysWithoutDivergence() {
    List<DynamicTest> tests = new ArrayList<>();
    for (String config : CONFIGS) {
      for (Generator.Strategy s : Generator.Strategy.values()) {
        for (long seed : new long[] {1, 42}) {
          tests.add(DynamicTest.dynamicTest(config + " " + s + " seed " + seed, () -> {
            List<Trace> corpus = TraceTestSupport.corpus(config, s, seed, 40, 40);
            Replayer first = new Replayer(new ModelTarget(ModelTarget.Choice.FIRST));
            Replayer random = new Replayer(new ModelTarget(ModelTarget.Choice.RANDOM));
            long steps = 0;
            for (Trace t : corpus) {
              Trace read = TraceTestSupport.roundTrip(t);
              Replayer.Result r = first.replay(read, null);
              assertThat(r.divergence()).as(t.source()).isEmpty();
              assertThat(r.violation()).isEmpty();
              assertThat(r.leftBranchAt()).as("the model target follows the generated branch").isEqualTo(-1);
              assertThat(r.stepsReplayed()).isEqualTo(t.steps().size());
              Replayer.Result rr = random.replay(read, null);
              assertThat(rr.ok()).as("any branch the model takes stays allowed").isTrue();
              steps += r.stepsReplayed();
            }
            assertThat(steps).as("the corpus is not empty").isGreaterThan(40);
          }));
        }
      }
    }
    return tests.stream();
  }

  @Test
  void aTargetTakingAnotherBranchOfANondeterministicStepIsNoDivergence() {
    List<Trace> corpus = TraceTestSupport.corpus("small", Generator.Strategy.COVERAGE, 1, 1000, 40);
    long multi = corpus.stream().flatMap(t -> t.steps().stream()).filter(s -> s.observations().size() > 1).count();
    assertThat(multi).as("steps whose hidden interleavings show differently").isPositive();
    Replayer random = new Replayer(new ModelTarget(ModelTarget.Choice.RANDOM));
    int left = 0;
    for (Trace t : corpus) {
      Replayer.Result r = random.replay(t, null);
      assertThat(r.ok()).isTrue();
      if (r.leftBranchAt() >= 0) {
        left++;
        // Its log replays on the first-choice target too (each on its own branch).
        Trace log = TraceTestSupport.roundTrip(r.recorded());
        assertThat(new Replayer(new ModelTarget(ModelTarget.Choice.FIRST)).replay(log, null).ok()).isTrue();
        assertThat(new Validator().validate(log).accepted()).isTrue();
      }
    }
    assertThat(left).as("traces where the random target left the generated branch").isPositive();
  }

  /**
   * A target on another branch meets a file step the model does not enable there: replayed exactly, the trace stops
   * unsupported; continuing off the branch, it runs to its length with steps drawn on the target's branch, each
   * observation still checked against the model, the drawn run re-checks on its own, and it is deterministic.
   */
  @Test
  void aTraceLeftByItsTargetGoesOnAlongTheTargetsBranchWhenAsked() {
    List<Trace> corpus = TraceTestSupport.corpus("small", Generator.Strategy.RANDOM, 1, 400, 40);
    int stopped = 0;
    int continued = 0;
    for (Trace t : corpus) {
      Replayer.Result exact = new Replayer(new ModelTarget(ModelTarget.Choice.RANDOM)).replay(t, null);
      Replayer.Result on = new Replayer(new ModelTarget(ModelTarget.Choice.RANDOM)).continuingOffBranch().replay(t, null);
      assertThat(on.ok()).as(t.source()).isTrue();
      assertThat(on.unsupported()).as(t.source()).isEmpty();
      if (exact.unsupported().isEmpty()) {
        assertThat(on.continuedAt()).as("%s: nothing to continue", t.source()).isEqualTo(-1);
        assertThat(on.stepsReplayed()).isEqualTo(exact.stepsReplayed());
        continue;
      }
      stopped++;
      assertThat(exact.unsupported().get().reason()).contains("the target took another allowed branch");
      assertThat(on.continuedAt()).as(t.source()).isEqualTo(exact.unsupported().get().step()).isGreaterThan(on.leftBranchAt());
      assertThat(on.stepsReplayed()).isGreaterThan(exact.stepsReplayed());
      if (on.stepsReplayed() > on.continuedAt()) continued++;
      Trace log = TraceTestSupport.roundTrip(on.recorded());
      assertThat(log.steps()).hasSize(on.stepsReplayed());
      assertThat(new Validator().validate(log).accepted()).as("the drawn run is a behaviour of the model").isTrue();
      Replayer.Result again = new Replayer(new ModelTarget(ModelTarget.Choice.RANDOM)).continuingOffBranch().replay(t, null);
      assertThat(again.recorded().steps()).as("the same trace continues the same way").isEqualTo(on.recorded().steps());
    }
    assertThat(stopped).as("traces whose target left their branch onto a step it does not enable").isPositive();
    assertThat(continued).as("traces that ran drawn steps").isPositive();
  }

  /** An alteration that makes the step's expect set differ from the model's. */
  static List<StepObservation> alter(List<StepObservation> expect, SplittableRandom rnd) {
    List<StepObservation> out = new ArrayList<>(expect);
    StepObservation victim = out.get(rnd.nextInt(out.size()));
    StepObservation changed = switch (rnd.nextInt(3)) {
      case 0 -> new StepObservation(victim.result(), victim.unblocked(), victim.pages4k() == 0 ? 1 : victim.pages4k() - 1, victim.pages2m());
      case 1 -> new StepObservation(new Observation.Read(ValueClass.STALE), victim.unblocked(), victim.pages4k(), victim.pages2m());
      default -> new StepObservation(victim.result(), Map.of("vcpu0", new Observation.Retry()), victim.pages4k(), victim.pages2m());
    };
    if (changed.equals(victim)) {
      changed = new StepObservation(new Observation.SrcuWait(), Map.of(), 0, 0);
    }
    out.set(out.indexOf(victim), changed);
    return out;
  }

  @TestFactory
  Stream<DynamicTest> aTraceWithOneObservationAlteredIsRejectedAtExactlyThatStep() {
    List<DynamicTest> tests = new ArrayList<>();
    for (String config : List.of("small", "default", "small-arm64")) {
      tests.add(DynamicTest.dynamicTest(config, () -> {
        SplittableRandom rnd = new SplittableRandom(99);
        List<Trace> corpus = TraceTestSupport.corpus(config, Generator.Strategy.RANDOM, 5, 60, 40);
        Replayer replayer = new Replayer(new ModelTarget(ModelTarget.Choice.FIRST));
        int checked = 0;
        for (Trace t : corpus) {
          if (t.steps().isEmpty()) {
            continue;
          }
          int k = rnd.nextInt(t.steps().size());
          List<TraceStep> steps = new ArrayList<>(t.steps());
          TraceStep s = steps.get(k);
          List<StepObservation> altered = alter(s.observations(), rnd);
          assertThat(new HashSet<>(altered)).isNotEqualTo(new HashSet<>(s.observations()));
          steps.set(k, TraceStep.expect(k, s.action(), altered));
          Trace bad = TraceTestSupport.roundTrip(t.withSteps(steps));
          Replayer.Result r = replayer.replay(bad, null);
          assertThat(r.divergence()).as("altered step %d of %s", k, t.source()).isPresent();
          assertThat(r.divergence().get().step()).isEqualTo(k);
          assertThat(r.divergence().get().line()).as("file line of step k").isEqualTo(k + 2);
          // The report shows the trace's own set, not only the model's (issue 18: it printed the model's twice).
          String reason = r.divergence().get().reason();
          assertThat(reason).contains("the trace expects: " + String.join(" ", altered.stream().map(TraceCodec::text).sorted().toList()));
          assertThat(reason).contains("the model allows: ");
          checked++;
        }
        assertThat(checked).isGreaterThan(30);
      }));
    }
    return tests.stream();
  }

  @Test
  void aTargetShowingAnObservationOutsideTheSetDivergesThere() {
    Trace t = TraceTestSupport.corpus("default", Generator.Strategy.RANDOM, 3, 1, 30).getFirst();
    assertThat(t.steps().size()).isGreaterThan(3);
    int k = t.steps().size() / 2;
    // A target that lies at step k: it reports a stale read.
    Target liar = new Target() {
      final ModelTarget inner = new ModelTarget(ModelTarget.Choice.FIRST);
      int n;

      public String name() { return "liar"; }

      public void start(TraceHeader h) { inner.start(h); n = 0; }

      public java.util.Optional<StepObservation> step(kvmuf.model.Action a) {
        var o = inner.step(a);
        return n++ == k ? o.map(x -> new StepObservation(new Observation.Read(ValueClass.STALE), Map.of(), x.pages4k(), x.pages2m())) : o;
      }
    };
    Replayer.Result r = new Replayer(liar).replay(t, null);
    assertThat(r.divergence()).isPresent();
    assertThat(r.divergence().get().step()).isEqualTo(k);
    assertThat(r.divergence().get().reason()).contains("does not allow");
    assertThat(r.divergence().get().expected()).containsExactlyInAnyOrderElementsOf(t.steps().get(k).observations());
    assertThat(r.divergence().get().observed().orElseThrow().result()).isEqualTo(new Observation.Read(ValueClass.STALE));
  }

  @Test
  void aConfigNeverSeesAKindItCannotProduce() {
    for (String config : CONFIGS) {
      Config c = Config.load(config);
      Coverage cov = new Coverage(c);
      Replayer r = new Replayer(new ModelTarget(ModelTarget.Choice.RANDOM));
      for (Trace t : TraceTestSupport.corpus(config, Generator.Strategy.COVERAGE, 8, 60, 40)) {
        assertThat(r.replay(t, cov).ok()).isTrue();
      }
      for (Observation.Kind k : Observation.Kind.values()) {
        if (!Observation.possibleKinds(c).contains(k)) {
          assertThat(cov.kindCount(k)).as(config + " " + k).isZero();
        }
      }
    }
  }
}
