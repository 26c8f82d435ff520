package kvmuf.tlc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import java.util.stream.Stream;
import kvmuf.check.CheckResult;
import kvmuf.check.Verdict;
import kvmuf.spec.MutantCatalogue;
import kvmuf.spec.Scenario;
import kvmuf.spec.ScenarioCatalogue;
import kvmuf.spec.SpecBundle;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every regression scenario: with the correct protocol TLC follows the schedule to its last step
 * (NotReached fails, and only it: every property held on the way); with the scenario's mutant the
 * scenario's property fails.
 */
class ScenarioTest {
  private static final ScenarioRunner RUNNER = new ScenarioRunner(TlcRunner.locate());

  @TestFactory
  Stream<DynamicTest> correctProtocolReachesTheLastStep() {
    return ScenarioCatalogue.load().scenarios().stream().map(s -> DynamicTest.dynamicTest(s.name(), () -> {
      CheckResult r = RUNNER.run(s, false);
      assertThat(r.verdict()).as(s.name() + ": " + r.error().orElse("")).isEqualTo(Verdict.VIOLATION);
      assertThat(r.property()).as("the schedule reaches its last step").contains(Scenario.REACHED);
    }));
  }

  @TestFactory
  Stream<DynamicTest> theMutantFailsTheScenariosProperty() {
    return ScenarioCatalogue.load().scenarios().stream().map(s -> DynamicTest.dynamicTest(s.name(), () -> {
      CheckResult r = RUNNER.run(s, true);
      assertThat(r.verdict()).as(s.name() + ": " + r.error().orElse("")).isEqualTo(Verdict.VIOLATION);
      assertThat(r.property()).contains(s.property());
    }));
  }

  @Test
  void everyScenarioNamesACataloguedMutantAndItsRace() {
    MutantCatalogue mutants = MutantCatalogue.load();
    for (Scenario s : ScenarioCatalogue.load().scenarios()) {
      assertThat(mutants.find(s.mutant())).as(s.name() + "'s mutant").isPresent();
      // an R-number where review named the race, '-' for the model's own races (as in spec/mutants.tsv)
      assertThat(s.review()).as(s.name()).matches("R\\d+|-");
      assertThat(SpecBundle.find("scenarios/" + s.name() + ".tla")).as(s.name() + ".tla").isPresent();
      assertThat(SpecBundle.read("scenarios/" + s.name() + ".tla")).contains("EXTENDS KvmUserfault").contains("NotReached ==");
    }
  }

  @Test
  void aScheduleThatCannotBeFollowedIsNotAPass() {
    // The non-vacuity check can fail: cut the schedule's last step and NotReached never fails.
    Scenario s = ScenarioCatalogue.load().scenarios().getFirst();
    String cut = SpecBundle.read("scenarios/" + s.name() + ".tla").replaceFirst("LastStep == (\\d+)", "LastStep == 99");
    CheckResult r = TlcRunner.inSpecFolder("kvmuf-scenario-cut-", dir -> {
      java.nio.file.Files.writeString(dir.resolve(s.name() + ".tla"), cut);
      java.nio.file.Files.writeString(dir.resolve("run.cfg"), SpecBundle.read("scenarios/" + s.name() + ".cfg"));
      return TlcRunner.locate().runModule(dir, s.name() + ".tla", "run.cfg", s.name(), Optional.empty());
    });
    assertThat(r.verdict()).as(r.error().orElse("")).isEqualTo(Verdict.OK);
  }
}
