package kvmuf.spec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A TLC model config as the kit writes them (configs/*.cfg): constant assignments, the
 * invariants in checking order, symmetry and the deadlock check. The Java engine reads the same
 * file, so the two engines cannot drift apart on bounds.
 */
public record CfgFile(
    String name,
    String text,
    Map<String, String> constants,
    List<String> invariants,
    boolean symmetry,
    boolean checkDeadlock) {

  private static final Pattern ASSIGN = Pattern.compile("^\\s*(\\w+)\\s*=\\s*(.+?)\\s*$");

  public static CfgFile parse(String name, String text) {
    Map<String, String> constants = new LinkedHashMap<>();
    List<String> invariants = new ArrayList<>();
    boolean symmetry = false;
    boolean deadlock = true;
    String section = "";
    for (String raw : text.split("\n")) {
      String line = raw.replaceAll("\\\\\\*.*$", "").strip();
      if (line.isEmpty()) {
        continue;
      }
      String[] words = line.split("\\s+");
      switch (words[0]) {
        case "CONSTANTS", "CONSTANT", "INVARIANTS", "INVARIANT", "PROPERTIES", "PROPERTY" -> {
          section = words[0];
          continue;
        }
        case "SPECIFICATION" -> {
          section = "";
          continue;
        }
        case "SYMMETRY" -> {
          symmetry = true;
          section = "";
          continue;
        }
        case "CHECK_DEADLOCK" -> {
          deadlock = words.length > 1 && words[1].equals("TRUE");
          section = "";
          continue;
        }
        default -> {}
      }
      if (section.startsWith("CONSTANT")) {
        Matcher m = ASSIGN.matcher(line);
        if (!m.matches()) {
          throw new IllegalArgumentException("config " + name + ": cannot read constant line '" + line + "'");
        }
        constants.put(m.group(1), m.group(2));
      } else if (section.startsWith("INVARIANT")) {
        for (String w : words) {
          invariants.add(w);
        }
      } else {
        throw new IllegalArgumentException("config " + name + ": unexpected line '" + line + "'");
      }
    }
    return new CfgFile(name, text, Map.copyOf(constants), List.copyOf(invariants), symmetry, deadlock);
  }

  public String constant(String key) {
    String v = constants.get(key);
    if (v == null) {
      throw new IllegalArgumentException("config " + name + " does not set " + key);
    }
    return v;
  }

  /** The same config with {@code Mutants} switched to the given ids. */
  public String withMutants(List<String> mutantIds) {
    String set = mutantIds.stream().map(id -> "\"" + id + "\"").reduce((a, b) -> a + ", " + b).orElse("");
    String replaced = text.replaceFirst("(?m)^(\\s*Mutants\\s*=\\s*)\\{[^}]*}", "$1{" + Matcher.quoteReplacement(set) + "}");
    if (replaced.equals(text) && !mutantIds.isEmpty()) {
      throw new IllegalStateException("config " + name + " has no 'Mutants = {}' line");
    }
    return replaced;
  }
}
