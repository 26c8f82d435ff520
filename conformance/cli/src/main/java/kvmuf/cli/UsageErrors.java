package kvmuf.cli;

import java.util.List;
import picocli.CommandLine;

/** The first line of a command-line mistake, with "did you mean" where a name was misspelled. */
final class UsageErrors {
  private UsageErrors() {}

  static String line(CommandLine.ParameterException ex) {
    CommandLine c = ex.getCommandLine();
    if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
      String word = u.getUnmatched().getFirst();
      List<String> near = u.getSuggestions();
      boolean option = word.startsWith("-");
      String what = option ? "unknown option '" + word + "'"
          : !c.getSubcommands().isEmpty() ? "unknown command '" + word + "' for '" + c.getCommandSpec().qualifiedName() + "'"
          : "unexpected argument '" + word + "'";
      if (!near.isEmpty()) {
        return what + "; did you mean " + String.join(" or ", near.stream().limit(2).map(s -> "'" + s + "'").toList()) + "?";
      }
      if (!option && !c.getSubcommands().isEmpty()) {
        return what + "; commands: " + String.join(", ", c.getSubcommands().keySet());
      }
      return what;
    }
    // picocli's words for a bad enum value, in the kit's one style ("unknown X 'v'; valid: a, b").
    java.util.regex.Matcher m = ENUM.matcher(ex.getMessage());
    if (m.matches()) {
      return "unknown " + m.group(1) + " value '" + m.group(3) + "'; valid: " + m.group(2);
    }
    return ex.getMessage();
  }

  private static final java.util.regex.Pattern ENUM = java.util.regex.Pattern.compile(
      "Invalid value for (?:option|positional parameter) '?([^':]+)'?: expected one of \\[(.*)\\] \\(case-\\w+\\) but was '(.*)'");
}
