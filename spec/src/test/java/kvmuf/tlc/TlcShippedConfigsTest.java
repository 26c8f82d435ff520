package kvmuf.tlc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import java.util.stream.Stream;
import kvmuf.check.CheckResult;
import kvmuf.check.Verdict;
import kvmuf.spec.ExpectedVerdict;
import kvmuf.spec.ExpectedVerdicts;
import kvmuf.spec.Mutant;
import kvmuf.spec.MutantCatalogue;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * TLC on every shipped small config gives its recorded verdict and distinct-state count, and on
 * every catalogued mutant fails exactly the catalogued property.
 */
class TlcShippedConfigsTest {
  private static final TlcRunner TLC = TlcRunner.locate();
  /** The benchmark configs and frames (millions of states) are too slow for every build. */
  private static boolean inTestSuite(ExpectedVerdict e) {
    return e.distinctStates() <= 600_000;
  }

  @TestFactory
  Stream<DynamicTest> shippedConfigsGiveTheirRecordedVerdicts() {
    return ExpectedVerdicts.load().entries().stream().filter(TlcShippedConfigsTest::inTestSuite).map(e ->
        DynamicTest.dynamicTest(e.config(), () -> {
          CheckResult r = TLC.run(e.config(), Optional.empty(), 2, s -> {});
          assertThat(r.error()).isEmpty();
          assertThat(r.verdict().json()).isEqualTo(e.verdict());
          assertThat(r.property()).isEqualTo(e.property());
          if (e.expectsViolation()) {
            assertThat(r.trace()).isNotEmpty();
          } else {
            assertThat(r.distinctStates()).isEqualTo(e.distinctStates());
            assertThat(r.trace()).isEmpty();
          }
        }));
  }

  @TestFactory
  Stream<DynamicTest> everyMutantFailsItsCataloguedProperty() {
    return MutantCatalogue.load().mutants().stream().map((Mutant m) ->
        DynamicTest.dynamicTest(m.id(), () -> {
          CheckResult r = TLC.run(m.config(), Optional.of(m.id()), 2, s -> {});
          assertThat(r.verdict()).isEqualTo(Verdict.VIOLATION);
          assertThat(r.property()).contains(m.property());
          assertThat(r.trace()).as("a counterexample is shown").hasSizeGreaterThan(1);
          assertThat(r.trace().getFirst().action()).isEqualTo("Init");
        }));
  }
}
