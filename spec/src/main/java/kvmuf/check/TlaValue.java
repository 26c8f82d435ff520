package kvmuf.check;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the one TLA+ value shape worth looking inside for a timeline: a function printed by
 * TLC as {@code (k1 :> v1 @@ k2 :> v2)}. Everything else is compared as text.
 */
public final class TlaValue {
  private TlaValue() {}

  public static Optional<Map<String, String>> asFunction(String text) {
    String t = text.strip();
    if (!t.startsWith("(") || !t.endsWith(")") || !t.contains(":>")) {
      return Optional.empty();
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (String entry : splitTopLevel(t.substring(1, t.length() - 1), "@@")) {
      int arrow = entry.indexOf(":>");
      if (arrow < 0) {
        return Optional.empty();
      }
      out.put(entry.substring(0, arrow).strip(), entry.substring(arrow + 2).strip());
    }
    return Optional.of(out);
  }

  /** Splits on a separator that is not nested inside braces, brackets, parentheses or strings. */
  static java.util.List<String> splitTopLevel(String s, String sep) {
    java.util.List<String> parts = new java.util.ArrayList<>();
    int depth = 0;
    boolean inString = false;
    int start = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"') {
        inString = !inString;
      } else if (!inString) {
        // Tuples are << >>; a single '>' belongs to ":>" and is no bracket.
        if (c == '(' || c == '{' || c == '[' || s.startsWith("<<", i)) {
          depth++;
          i += c == '<' ? 1 : 0;
        } else if (c == ')' || c == '}' || c == ']' || s.startsWith(">>", i)) {
          depth--;
          i += c == '>' ? 1 : 0;
        } else if (depth == 0 && s.startsWith(sep, i)) {
          parts.add(s.substring(start, i));
          start = i + sep.length();
          i += sep.length() - 1;
        }
      }
    }
    parts.add(s.substring(start));
    return parts;
  }
}
