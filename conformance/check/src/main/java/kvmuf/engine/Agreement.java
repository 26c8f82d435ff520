package kvmuf.engine;

import java.util.ArrayList;
import java.util.List;
import kvmuf.check.CheckResult;
import kvmuf.check.Verdict;

/**
 * What {@code --engine both} compares: verdicts, violated properties, and distinct-state counts
 * where both searches completed (a search that stops at a violation counts what it had seen, which
 * depends on the search order, so those counts are not compared).
 */
public record Agreement(List<String> disagreements) {

  public static Agreement of(CheckResult tlc, CheckResult java) {
    List<String> d = new ArrayList<>();
    if (tlc.verdict() != java.verdict()) {
      d.add("verdict: tlc " + tlc.verdict().json() + ", java " + java.verdict().json());
    }
    if (!tlc.property().equals(java.property())) {
      d.add("property: tlc " + tlc.property().orElse("none") + ", java " + java.property().orElse("none"));
    }
    if (tlc.verdict() == Verdict.OK && java.verdict() == Verdict.OK && tlc.distinctStates() != java.distinctStates()) {
      d.add("distinct states: tlc " + tlc.distinctStates() + ", java " + java.distinctStates());
    }
    return new Agreement(List.copyOf(d));
  }

  public boolean agree() {
    return disagreements.isEmpty();
  }
}
