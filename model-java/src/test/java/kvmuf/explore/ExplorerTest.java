package kvmuf.explore;

import static org.assertj.core.api.Assertions.assertThat;

import kvmuf.check.CheckResult;
import kvmuf.check.Verdict;
import kvmuf.model.Config;
import kvmuf.spec.ExpectedVerdicts;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ExplorerTest {
  @Test
  void defaultConfigReachesItsRecordedCountWithinTheSeenSetBudget() {
    Explorer e = new Explorer(Config.load("default"), 2, s -> {});
    CheckResult r = e.run();
    assertThat(r.verdict()).isEqualTo(Verdict.OK);
    assertThat(r.distinctStates()).isEqualTo(ExpectedVerdicts.load().find("default").orElseThrow().distinctStates());
    assertThat(e.seenSetBytesPerState()).isLessThanOrEqualTo(16.0);
  }

  @Test
  void workerCountDoesNotChangeTheStateSpace() {
    CheckResult one = new Explorer(Config.load("small-dirty"), 1, s -> {}).run();
    CheckResult two = new Explorer(Config.load("small-dirty"), 2, s -> {}).run();
    assertThat(one.distinctStates()).isEqualTo(two.distinctStates());
    assertThat(one.depth()).isEqualTo(two.depth());
  }

  /**
   * The counterexample is a shortest one and the same, step for step, whatever the worker count
   * (TLC's with 2 workers varies: 17 or 18 steps for NoWakeOnEexist).
   */
  @ParameterizedTest
  @CsvSource({"small, NoWakeOnEexist", "small, NoSeqRetry", "small-gmem, ClearBeforeInstall", "small, NoZapOnEnable"})
  void theCounterexampleDoesNotDependOnTheWorkerCount(String config, String mutant) {
    Config c = Config.load(config, Optional.of(mutant));
    CheckResult one = new Explorer(c, 1, s -> {}).run();
    CheckResult two = new Explorer(c, 2, s -> {}).run();
    CheckResult four = new Explorer(c, 4, s -> {}).run();
    assertThat(one.verdict()).isEqualTo(Verdict.VIOLATION);
    assertThat(one.trace()).hasSizeGreaterThan(1);
    assertThat(two.trace()).isEqualTo(one.trace());
    assertThat(four.trace()).isEqualTo(one.trace());
    assertThat(one.trace()).hasSize(one.depth());
  }

  @Test
  void aTimeLimitStopsTheSearchAndSaysHowFarItGot() {
    Explorer e = new Explorer(Config.load("default"), 2, s -> {}).timeLimit(0);
    CheckResult r = e.run();
    assertThat(e.stoppedAtTimeLimit()).isTrue();
    assertThat(r.verdict()).isEqualTo(Verdict.ERROR);
    assertThat(r.distinctStates()).isPositive()
        .isLessThan(ExpectedVerdicts.load().find("default").orElseThrow().distinctStates());
    assertThat(r.error()).hasValueSatisfying(m -> assertThat(m).startsWith("stopped at the time limit (0 s) with "
        + r.distinctStates() + " distinct states reached"));
    Explorer unlimited = new Explorer(Config.load("small-gmem"), 2, s -> {}).timeLimit(600);
    assertThat(unlimited.run().distinctStates()).isEqualTo(ExpectedVerdicts.load().find("small-gmem").orElseThrow().distinctStates());
    assertThat(unlimited.stoppedAtTimeLimit()).isFalse();
  }

  /** The batched query answers what one add after another answers, a repeat inside the batch and 0 included. */
  @Test
  void aBatchOfAddsAnswersAsSingleAddsDo() {
    FingerprintSet batched = new FingerprintSet();
    FingerprintSet single = new FingerprintSet();
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
    long[] fps = new long[128];
    boolean[] isNew = new boolean[128];
    for (int round = 0; round < 2_000; round++) {
      int n = 1 + rnd.nextInt(fps.length);
      for (int i = 0; i < n; i++) {
        fps[i] = i > 0 && rnd.nextInt(8) == 0 ? fps[rnd.nextInt(i)] : rnd.nextInt(50) == 0 ? 0 : rnd.nextLong(1L << 20);
      }
      batched.addAll(fps, n, isNew);
      for (int i = 0; i < n; i++) {
        assertThat(isNew[i]).as("round %d, fingerprint %d of %d", round, i, n).isEqualTo(single.add(fps[i]));
      }
    }
    assertThat(batched.size()).isEqualTo(single.size()).isGreaterThan(100_000);
  }

  @Test
  void fingerprintSetGrowsAndKeepsEverything() {
    FingerprintSet set = new FingerprintSet();
    for (long i = 1; i <= 200_000; i++) {
      assertThat(set.add(i * 0x9E3779B97F4A7C15L)).isTrue();
    }
    assertThat(set.add(5 * 0x9E3779B97F4A7C15L)).isFalse();
    assertThat(set.size()).isEqualTo(200_000);
    assertThat((double) set.bytes() / set.size()).isLessThanOrEqualTo(16.0);
  }
}
