package kvmuf.trace;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.Observation;
import kvmuf.model.StepObservation;
import kvmuf.model.ValueClass;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

class ValidatorTest {

  /** Logged runs: the model target's runs of generated traces, with observed lines. */
  static List<Trace> loggedRuns(String config, long seed, int count) {
    Replayer r = new Replayer(new ModelTarget(ModelTarget.Choice.RANDOM));
    List<Trace> out = new ArrayList<>();
    for (Trace t : TraceTestSupport.corpus(config, Generator.Strategy.RANDOM, seed, count, 30)) {
      Replayer.Result res = r.replay(t, null);
      assertThat(res.ok()).isTrue();
      out.add(TraceTestSupport.roundTrip(res.recorded()));
    }
    return out;
  }

  /** Observations no behaviour of a correct config can show at any step. */
  static StepObservation impossible(Config c, StepObservation o, int variant) {
    return switch (variant % 3) {
      case 0 -> new StepObservation(new Observation.Read(ValueClass.STALE), Map.of(), o.pages4k(), o.pages2m());
      case 1 -> new StepObservation(new Observation.UffdEvent(Observation.PAGE_SIZE * c.numGfns(), List.of()), Map.of(), o.pages4k(), o.pages2m());
      default -> new StepObservation(new Observation.MemoryFaultExit(Observation.PAGE_SIZE * c.numGfns(), 4096, List.of("USERFAULT")), Map.of(), o.pages4k(), o.pages2m());
    };
  }

  @TestFactory
  Stream<DynamicTest> loggedRunsAreAcceptedAndAnAlteredLineIsNamed() {
    List<DynamicTest> tests = new ArrayList<>();
    for (String config : List.of("small", "default", "small-dirty", "small-gmem")) {
      tests.add(DynamicTest.dynamicTest(config, () -> {
        Config c = Config.load(config);
        SplittableRandom rnd = new SplittableRandom(17);
        Validator v = new Validator();
        int checked = 0;
        for (Trace t : loggedRuns(config, 11, 25)) {
          Validator.Result ok = v.validate(t);
          assertThat(ok.accepted()).as("logged run %s", t.source()).isTrue();
          assertThat(new Replayer(new ModelTarget(ModelTarget.Choice.FIRST)).replay(t, null).ok())
              .as("a logged run replays on the model target, whichever branch each took").isTrue();
          if (t.steps().isEmpty()) {
            continue;
          }
          int k = rnd.nextInt(t.steps().size());
          List<TraceStep> steps = new ArrayList<>(t.steps());
          TraceStep s = steps.get(k);
          steps.set(k, TraceStep.observed(k, s.action(), impossible(c, s.observed(), k)));
          Trace bad = TraceTestSupport.roundTrip(t.withSteps(steps));
          Validator.Result r = v.validate(bad);
          assertThat(r.rejected()).as("altered step %d", k).isTrue();
          assertThat(r.firstUnexplained()).isEqualTo(k);
          assertThat(r.firstUnexplainedLine()).isEqualTo(k + 2);
          assertThat(r.explained()).isEqualTo(k);
          checked++;
        }
        assertThat(checked).isGreaterThan(15);
      }));
    }
    return tests.stream();
  }

  @Test
  void anAlteredUnblockedValueIsRejectedAndAnOmittedOneIsNot() {
    int checked = 0;
    Validator v = new Validator();
    for (Trace t : loggedRuns("default", 23, 40)) {
      for (int k = 0; k < t.steps().size() && checked < 12; k++) {
        StepObservation o = t.steps().get(k).observed();
        if (o.unblocked().isEmpty()) {
          continue;
        }
        Map<String, Observation> bad = new java.util.TreeMap<>(o.unblocked());
        String who = bad.keySet().iterator().next();
        bad.put(who, who.equals("vmm") ? new Observation.Ioctl("EEXIST") : new Observation.Read(ValueClass.STALE));
        List<TraceStep> steps = new ArrayList<>(t.steps());
        steps.set(k, TraceStep.observed(k, steps.get(k).action(), new StepObservation(o.result(), bad, o.pages4k(), o.pages2m())));
        Validator.Result r = v.validate(TraceTestSupport.roundTrip(t.withSteps(steps)));
        assertThat(r.rejected()).as("altered unblocked %s at step %d", who, k).isTrue();
        assertThat(r.firstUnexplained()).isEqualTo(k);
        steps.set(k, TraceStep.observed(k, steps.get(k).action(), o.withoutUnblocked()));
        assertThat(v.validate(TraceTestSupport.roundTrip(t.withSteps(steps))).accepted()).as("omitted unblocked").isTrue();
        checked++;
        break;
      }
    }
    assertThat(checked).isEqualTo(12);
  }

  static StepObservation obs(Observation o, int p4) {
    return new StepObservation(o, Map.of(), p4, 0);
  }

  /**
   * A concurrent log: vCPU0's access was logged when it returned, after the uffd reader's lines
   * that resolved its fault. No sequential replay explains it (UffdRead needs the fault first);
   * the validator starts the access early and accepts.
   */
  @Test
  void aConcurrentLogIsExplainedByStartingACallEarly() {
    Config c = Config.load("small");
    TraceHeader h = new TraceHeader(TraceHeader.FORMAT, c, 0, "uf-v3", "observed");
    List<TraceStep> steps = List.of(
        TraceStep.observed(0, new Action.UffdRead(0), obs(new Observation.UffdEvent(0, List.of()), 0)),
        TraceStep.observed(1, new Action.UffdInstall(0), obs(new Observation.Ioctl("ok"), 0)),
        TraceStep.observed(2, new Action.Access(0, 0), obs(new Observation.Read(ValueClass.FETCHED), 1)));
    Trace t = TraceTestSupport.roundTrip(new Trace("concurrent", h, steps));
    assertThat(new Validator().validate(t).accepted()).isTrue();
    assertThat(new Replayer(new ModelTarget(ModelTarget.Choice.FIRST)).replay(t, null).divergence())
        .as("sequential replay cannot explain it").isPresent();
    // The same log claiming a zero-filled read is not a behaviour of the model.
    List<TraceStep> wrong = new ArrayList<>(steps);
    wrong.set(2, TraceStep.observed(2, new Action.Access(0, 0), obs(new Observation.Read(ValueClass.ZERO), 1)));
    Validator.Result r = new Validator().validate(TraceTestSupport.roundTrip(new Trace("wrong", h, wrong)));
    assertThat(r.rejected()).isTrue();
    assertThat(r.firstUnexplained()).isEqualTo(2);
    assertThat(r.firstUnexplainedLine()).isEqualTo(4);
  }

  @Test
  void aSearchBoundTooSmallIsUndecidedNotRejected() {
    Trace t = loggedRuns("default", 4, 3).stream().filter(x -> x.steps().size() > 4).findFirst().orElseThrow();
    Validator.Result r = new Validator(2).validate(t);
    if (!r.accepted()) {
      assertThat(r.boundHit()).isTrue();
      assertThat(r.rejected()).isFalse();
    }
  }
}
