package kvmuf.explore;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import java.util.stream.Stream;
import kvmuf.check.CheckResult;
import kvmuf.check.Verdict;
import kvmuf.model.Config;
import kvmuf.spec.ExpectedVerdict;
import kvmuf.spec.ExpectedVerdicts;
import kvmuf.spec.Mutant;
import kvmuf.spec.MutantCatalogue;
import kvmuf.tlc.TlcRunner;
import kvmuf.tlc.TlcTraceReplay;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The contract between the engines: on every small config and every catalogued mutant, TLC and
 * the Java explorer give the same distinct-state count (where the search completes), the same
 * verdict and the same violated property; and TLC, made to follow a Java counterexample step by
 * step, reproduces it, so a wrong Java step cannot hide behind an equal count; and the Java
 * counterexample is as short as single-worker TLC's (a shortest one).
 */
class ParityTest {
  private static final TlcRunner TLC = TlcRunner.locate();

  /** Configs TLC checks in a few minutes here (the benchmark configs and frames take far longer). */
  private static boolean small(ExpectedVerdict e) {
    return e.distinctStates() <= 600_000;
  }

  private static CheckResult java(String config, Optional<String> mutant) {
    return new Explorer(Config.load(config, mutant), 2, s -> {}).run();
  }

  @TestFactory
  Stream<DynamicTest> shippedConfigsAgree() {
    return ExpectedVerdicts.load().entries().stream().filter(ParityTest::small).map(e ->
        DynamicTest.dynamicTest(e.config(), () -> {
          CheckResult tlc = TLC.run(e.config(), Optional.empty(), 2, s -> {});
          CheckResult java = java(e.config(), Optional.empty());
          assertThat(java.verdict()).isEqualTo(tlc.verdict());
          assertThat(java.property()).isEqualTo(tlc.property());
          assertThat(java.verdict().json()).isEqualTo(e.verdict());
          if (tlc.verdict() == Verdict.OK) {
            assertThat(java.distinctStates()).isEqualTo(tlc.distinctStates()).isEqualTo(e.distinctStates());
          } else {
            assertThat(new TlcTraceReplay(TLC).reproduces(e.config(), Optional.empty(), java.trace(), java.property().orElseThrow()))
                .as("TLC follows the Java counterexample").isTrue();
          }
        }));
  }

  @TestFactory
  Stream<DynamicTest> mutantsFailTheSamePropertyAndTlcReplaysTheJavaCounterexample() {
    return MutantCatalogue.load().mutants().stream().map((Mutant m) ->
        DynamicTest.dynamicTest(m.id(), () -> {
          // One TLC worker: only then is TLC's breadth-first search strict, so its trace is a shortest one.
          CheckResult tlc = TLC.run(m.config(), Optional.of(m.id()), 1, s -> {});
          CheckResult java = java(m.config(), Optional.of(m.id()));
          assertThat(java.verdict()).isEqualTo(Verdict.VIOLATION).isEqualTo(tlc.verdict());
          assertThat(java.property()).contains(m.property()).isEqualTo(tlc.property());
          assertThat(java.trace()).hasSizeGreaterThan(1);
          assertThat(java.trace()).as("a shortest counterexample, as long as TLC's with one worker")
              .hasSameSizeAs(tlc.trace());
          assertThat(new TlcTraceReplay(TLC).reproduces(m.config(), Optional.of(m.id()), java.trace(), m.property()))
              .as("TLC follows the Java counterexample of " + m.id()).isTrue();
        }));
  }
}
