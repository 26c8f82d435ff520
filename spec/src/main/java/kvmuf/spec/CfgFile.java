package kvmuf.spec;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A TLC model config as the kit writes them (configs/*.cfg, or a user's own file): constant
 * assignments, the invariants in checking order, symmetry and the deadlock check. The Java engine
 * reads the same file, so the two engines cannot drift apart on bounds. Parsing checks what the
 * kit can check without TLC (keywords, the spec's constant and invariant names) and reports any
 * problem as a {@link CfgException} naming {@code source:line}.
 *
 * @param source the file as the user named it (a path, or configs/NAME.cfg for a shipped one)
 * @param lines the 1-based line of each constant's assignment
 */
public record CfgFile(
    String name,
    String text,
    Map<String, String> constants,
    List<String> invariants,
    boolean symmetry,
    boolean checkDeadlock,
    String source,
    Map<String, Integer> lines) {

  private static final Pattern ASSIGN = Pattern.compile("^(\\w+)\\s*=\\s*(.+?)$");
  private static final Pattern WORD = Pattern.compile("[A-Za-z_]\\w*");
  private static final Set<String> SECTIONS = Set.of("CONSTANTS", "CONSTANT", "INVARIANTS", "INVARIANT");
  private static final Set<String> UNSUPPORTED = Set.of("PROPERTIES", "PROPERTY", "INIT", "NEXT", "CONSTRAINT",
      "CONSTRAINTS", "ACTION_CONSTRAINT", "ACTION_CONSTRAINTS", "VIEW", "ALIAS", "POSTCONDITION");

  /** A shipped config's text (its source is configs/NAME.cfg). */
  public static CfgFile parse(String name, String text) {
    return parse(name, "configs/" + name + ".cfg", text);
  }

  public static CfgFile parse(String name, String source, String text) {
    Map<String, String> constants = new LinkedHashMap<>();
    Map<String, Integer> lines = new LinkedHashMap<>();
    List<String> invariants = new ArrayList<>();
    boolean symmetry = false;
    boolean deadlock = true;
    boolean specification = false;
    String section = "";
    String[] rows = text.split("\n", -1);
    for (int n = 1; n <= rows.length; n++) {
      String line = rows[n - 1].replaceAll("\\\\\\*.*$", "").strip();
      if (line.isEmpty()) {
        continue;
      }
      String[] words = line.split("\\s+");
      String head = words[0];
      if (SECTIONS.contains(head)) {
        section = head;
        line = line.substring(head.length()).strip();
        if (line.isEmpty()) {
          continue;
        }
        words = line.split("\\s+");
      } else if (head.equals("SPECIFICATION")) {
        if (words.length != 2 || !words[1].equals("Spec")) {
          throw new CfgException(source, n, "SPECIFICATION must be Spec (the spec's only behaviour), not '" + line.substring(head.length()).strip() + "'");
        }
        specification = true;
        section = "";
        continue;
      } else if (head.equals("SYMMETRY")) {
        if (words.length != 2 || !words[1].equals("VcpuSymmetry")) {
          throw new CfgException(source, n, "SYMMETRY must be VcpuSymmetry (defined in MC.tla)");
        }
        symmetry = true;
        section = "";
        continue;
      } else if (head.equals("CHECK_DEADLOCK")) {
        if (words.length != 2 || !(words[1].equals("TRUE") || words[1].equals("FALSE"))) {
          throw new CfgException(source, n, "CHECK_DEADLOCK takes TRUE or FALSE");
        }
        deadlock = words[1].equals("TRUE");
        section = "";
        continue;
      } else if (UNSUPPORTED.contains(head)) {
        throw new CfgException(source, n, head + " is not supported by the kit (invariants and deadlock only)");
      } else if (head.matches("[A-Z][A-Z_]+") && !line.contains("=")) {
        throw new CfgException(source, n, "unknown keyword '" + head + "'");
      }
      if (section.startsWith("CONSTANT")) {
        Matcher m = ASSIGN.matcher(line);
        if (!m.matches()) {
          throw new CfgException(source, n, "expected 'Name = value', got '" + line + "'");
        }
        String key = m.group(1);
        if (!SpecNames.constants().contains(key)) {
          throw new CfgException(source, n, "unknown constant '" + key + "'; the spec's constants: " + String.join(", ", SpecNames.constants()));
        }
        if (constants.containsKey(key)) {
          throw new CfgException(source, n, key + " is set twice (first on line " + lines.get(key) + ")");
        }
        constants.put(key, m.group(2));
        lines.put(key, n);
      } else if (section.startsWith("INVARIANT")) {
        for (String w : words) {
          if (!WORD.matcher(w).matches()) {
            throw new CfgException(source, n, "expected invariant names, got '" + w + "'");
          }
          if (!SpecNames.invariants().contains(w)) {
            throw new CfgException(source, n, "unknown invariant '" + w + "'; valid: " + String.join(", ", SpecNames.invariants()));
          }
          invariants.add(w);
        }
      } else {
        throw new CfgException(source, n, "unexpected line '" + line + "' (not under CONSTANTS or INVARIANTS)");
      }
    }
    if (!specification) {
      throw new CfgException(source, 0, "no 'SPECIFICATION Spec' line");
    }
    List<String> missing = SpecNames.constants().stream().filter(k -> !constants.containsKey(k)).toList();
    if (!missing.isEmpty()) {
      throw new CfgException(source, 0, "does not set " + String.join(", ", missing));
    }
    return new CfgFile(name, text, Map.copyOf(constants), List.copyOf(invariants), symmetry, deadlock, source,
        Map.copyOf(lines));
  }

  public String constant(String key) {
    String v = constants.get(key);
    if (v == null) {
      throw new CfgException(source, 0, "does not set " + key);
    }
    return v;
  }

  /** The 1-based line that sets {@code key} (0 when it is not set). */
  public int line(String key) {
    return lines.getOrDefault(key, 0);
  }

  /** A problem with the value of {@code key}, reported at the line that sets it. */
  public CfgException error(String key, String what) {
    return new CfgException(source, line(key), what);
  }

  /** {@code key}'s value as a natural number. */
  public int natural(String key) {
    String v = constant(key);
    if (!v.matches("\\d{1,9}")) {
      throw error(key, key + " = " + v + " is not a natural number");
    }
    return Integer.parseInt(v);
  }

  /** {@code key}'s value as TRUE or FALSE. */
  public boolean bool(String key) {
    String v = constant(key);
    return switch (v) {
      case "TRUE" -> true;
      case "FALSE" -> false;
      default -> throw error(key, key + " = " + v + " is not TRUE or FALSE");
    };
  }

  /** {@code key}'s value as one of the quoted strings {@code valid}. */
  public String oneOf(String key, Collection<String> valid) {
    String v = constant(key);
    Matcher m = Pattern.compile("^\"(.*)\"$").matcher(v);
    if (!m.matches() || !valid.contains(m.group(1))) {
      throw error(key, key + " = " + v + " is not one of " + String.join(", ", valid.stream().map(s -> "\"" + s + "\"").toList()));
    }
    return m.group(1);
  }

  /** {@code key}'s value as a set {@code {a, b}} of its elements' texts. */
  public List<String> set(String key) {
    String v = constant(key);
    if (!v.startsWith("{") || !v.endsWith("}")) {
      throw error(key, key + " = " + v + " is not a set {...}");
    }
    String inner = v.substring(1, v.length() - 1).strip();
    List<String> elements = inner.isEmpty() ? List.of() : List.of(inner.split("\\s*,\\s*"));
    for (String e : elements) {
      if (!e.matches("\\w+|\"\\w+\"")) {
        throw error(key, key + ": cannot read element '" + e + "'");
      }
    }
    return elements;
  }

  /** The same config with {@code Mutants} switched to the given ids. */
  public String withMutants(List<String> mutantIds) {
    String set = mutantIds.stream().map(id -> "\"" + id + "\"").reduce((a, b) -> a + ", " + b).orElse("");
    String replaced = text.replaceFirst("(?m)^(\\s*Mutants\\s*=\\s*)\\{[^}]*}", "$1{" + Matcher.quoteReplacement(set) + "}");
    if (replaced.equals(text) && !mutantIds.isEmpty()) {
      throw new CfgException(source, line("Mutants"), "has no 'Mutants = {...}' line on its own");
    }
    return replaced;
  }
}
