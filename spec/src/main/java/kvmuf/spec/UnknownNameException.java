package kvmuf.spec;

import java.util.List;

/** A config or mutant name that the kit does not ship; the message lists the valid names. */
public final class UnknownNameException extends IllegalArgumentException {
  public UnknownNameException(String what, String name, List<String> valid) {
    super("unknown " + what + " '" + name + "'; valid: " + String.join(", ", valid));
  }
}
