package kvmuf.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The explorer's fast "every invariant holds" answers exactly what {@link Invariant#holds} answers, invariant by
 * invariant: on reachable states (of correct and mutant configs, so that each invariant is seen failing), on those
 * states with one used bit flipped (each field's boundary), and on random words.
 */
class InvariantCheckTest {
  private static final int MAX_STATES = 60_000;

  @ParameterizedTest
  @CsvSource({
    "small, -", "small, NoZapOnEnable", "small-gmem, HugeWhileUserfault", "small, NoUffdForKvmAccess", "small-zapall, NoRetryOnObsoleteRoot", "small, NoSeqRetry", "small-gmem, ClearBeforeInstall",
    "small-dirty, RecoverWithDirtyLog", "writes-dirty, FastPathSkipsDirty", "small-delete, DeleteBeforeSrcuWait",
    "apf-userfault, -", "apf-guest-work, -", "gmem-kvm-access, -", "remote-unregistered, -", "gmem-fetch, BackgroundClearBeforeInstall",
    "frames-gmem, -", "small-apf, WrongExitFlags", "small-move, -", "conform-userfault-2vcpu, -"})
  void answersWhatEveryInvariantAnswers(String name, String mutant) {
    Config c = Config.load(name, "-".equals(mutant) ? Optional.empty() : Optional.of(mutant));
    InvariantCheck check = new InvariantCheck(c);
    Model model = new Model(c);
    int[] used = StateBits.usedBits(c.numGfns(), c.vcpus());
    SplittableRandom rnd = new SplittableRandom(name.hashCode() * 31L + mutant.hashCode());
    int failing = 0;
    int flippedFailing = 0;
    for (long[] s : reachable(model)) {
      failing += compare(c, check, s) ? 0 : 1;
      // one used bit flipped: every field's neighbour values, most of them outside the reachable set
      int r = 3 * rnd.nextInt(used.length / 3);
      long[] f = s.clone();
      f[used[r]] ^= 1L << (used[r + 1] + rnd.nextInt(used[r + 2]));
      flippedFailing += compare(c, check, f) ? 0 : 1;
    }
    for (int i = 0; i < 20_000; i++) {
      long[] s = new long[StateBits.words(c)];
      for (int r = 0; r < used.length; r += 3) {
        long bits = used[r + 2] == 64 ? rnd.nextLong() : rnd.nextLong() & ((1L << used[r + 2]) - 1);
        s[used[r]] |= bits << used[r + 1];
      }
      compare(c, check, s);
    }
    assertThat(flippedFailing).as("flipped states that break an invariant (the comparison is not vacuous)").isPositive();
    if (!"-".equals(mutant) || c.name().startsWith("apf-") || c.name().startsWith("gmem-kvm") || c.name().startsWith("remote-")) {
      assertThat(failing).as("reachable states that break an invariant in " + name + " / " + mutant).isPositive();
    }
  }

  /** Asserts the two agree on s; returns whether every invariant holds. */
  private static boolean compare(Config c, InvariantCheck check, long[] s) {
    boolean all = true;
    for (Invariant i : c.invariants()) {
      all &= i.holds(c, s);
    }
    assertThat(check.allHold(s)).as("allHold of " + new State(s) + " (" + violated(c, s) + ")").isEqualTo(all);
    return all;
  }

  private static List<String> violated(Config c, long[] s) {
    return c.invariants().stream().filter(i -> !i.holds(c, s)).map(Enum::name).toList();
  }

  /** Breadth-first, every successor (violating states too), at most MAX_STATES. */
  private static List<long[]> reachable(Model model) {
    List<long[]> out = new ArrayList<>();
    Set<State> seen = new HashSet<>();
    ArrayDeque<long[]> queue = new ArrayDeque<>();
    long[] init = model.init().words();
    seen.add(new State(init));
    queue.add(init);
    while (!queue.isEmpty() && out.size() < MAX_STATES) {
      long[] s = queue.poll();
      out.add(s);
      model.successors(s, (a, n) -> {
        if (seen.add(new State(n))) {
          queue.add(n.clone());
        }
      });
    }
    return out;
  }
}
