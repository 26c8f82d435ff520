package kvmuf.spec;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The names the spec declares, read from the shipped KvmUserfault.tla (so a new constant needs no second list). */
final class SpecNames {
  private static volatile List<String> constants;
  private static volatile List<String> definitions;

  private SpecNames() {}

  /** The spec's CONSTANTS, in declaration order. */
  static List<String> constants() {
    if (constants == null) {
      String tla = SpecBundle.read("KvmUserfault.tla");
      Matcher block = Pattern.compile("(?s)\\nCONSTANTS\\n(.*?)\\n\\s*\\n").matcher(tla);
      if (!block.find()) {
        throw new IllegalStateException("KvmUserfault.tla has no CONSTANTS block");
      }
      constants = Pattern.compile("(?m)^\\s+(\\w+),?\\s*(\\\\\\*.*)?$").matcher(block.group(1)).results()
          .map(r -> r.group(1)).toList();
    }
    return constants;
  }

  /** Every operator defined at the top level of the spec (invariants among them). */
  static List<String> invariants() {
    if (definitions == null) {
      String tla = SpecBundle.read("KvmUserfault.tla");
      definitions = Pattern.compile("(?m)^(\\w+) ==").matcher(tla).results().map(r -> r.group(1)).toList();
    }
    return definitions;
  }
}
