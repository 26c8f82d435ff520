package kvmuf.explore;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import kvmuf.check.CheckResult;
import kvmuf.check.Verdict;
import kvmuf.model.Config;
import kvmuf.model.Invariant;
import kvmuf.model.Model;
import kvmuf.model.State;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The explorer's counterexample is a shortest one: its length, the same with 1 and 2 workers, is the depth at
 * which an independent search first meets a violation. That search shares nothing with the explorer but the
 * model's Next: one thread, plain breadth-first over whole states (no fingerprints, no vCPU symmetry).
 */
class ShortestCounterexampleTest {

  @ParameterizedTest
  @CsvSource({"small, NoWakeOnEexist", "small, NoSeqRetry", "small-gmem, ClearBeforeInstall",
      "small-zapall, NoRetryOnObsoleteRoot", "gmem-fetch, BackgroundClearBeforeInstall", "small-dirty, RecoverWithDirtyLog"})
  void theCounterexampleHasTheLeastLengthWithOneOrTwoWorkers(String config, String mutant) {
    Config c = Config.load(config, Optional.of(mutant));
    CheckResult one = new Explorer(c, 1, s -> {}).run();
    CheckResult two = new Explorer(c, 2, s -> {}).run();
    assertThat(one.verdict()).isEqualTo(Verdict.VIOLATION);
    assertThat(two.trace()).hasSameSizeAs(one.trace());
    assertThat(one.trace()).hasSize(shortestViolation(c));
  }

  /** States in the shortest behaviour that ends in a violated invariant or a deadlock (TLC's count: Init is 1). */
  static int shortestViolation(Config c) {
    Model m = new Model(c);
    Set<State> seen = new HashSet<>();
    List<State> level = List.of(m.init());
    seen.add(m.init());
    for (int states = 1; !level.isEmpty(); states++) {
      List<State> next = new ArrayList<>();
      for (State s : level) {
        for (Invariant inv : c.invariants()) {
          if (!inv.holds(c, s.view())) {
            return states;
          }
        }
        List<Model.Transition> ts = m.successors(s);
        if (ts.isEmpty() && c.checkDeadlock()) {
          return states;
        }
        for (Model.Transition t : ts) {
          if (seen.add(t.next())) {
            next.add(t.next());
          }
        }
      }
      level = next;
    }
    throw new AssertionError(c.name() + " has no violation");
  }
}
