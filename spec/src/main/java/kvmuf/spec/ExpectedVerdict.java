package kvmuf.spec;

import java.util.Optional;

/**
 * What checking a shipped config must give: its verdict, the violated property where the
 * expected verdict is a violation, and the recorded distinct-state count (0 where the search
 * stops at the violation, whose count depends on the search order).
 */
public record ExpectedVerdict(String config, String verdict, Optional<String> property, long distinctStates, String note) {
  public boolean expectsViolation() {
    return verdict.equals("violation");
  }
}
