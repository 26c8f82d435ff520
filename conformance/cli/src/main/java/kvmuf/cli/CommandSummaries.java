package kvmuf.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Model.UsageMessageSpec;

/**
 * The "Commands:" list of every help page: each command with the first sentence of its description,
 * whole and wrapped, instead of picocli's first description line (which cut most summaries mid-sentence).
 */
final class CommandSummaries {
  private static final Pattern SENTENCE = Pattern.compile("^(.*?[.])(\\s|$)");

  private CommandSummaries() {}

  static void install(CommandLine cl) {
    cl.getHelpSectionMap().put(UsageMessageSpec.SECTION_KEY_COMMAND_LIST, help -> render(cl));
    cl.getSubcommands().values().stream().distinct().forEach(CommandSummaries::install);
  }

  static String render(CommandLine cl) {
    Map<String, CommandLine> subs = cl.getSubcommands();
    if (subs.isEmpty()) {
      return "";
    }
    int width = subs.keySet().stream().mapToInt(String::length).max().orElse(0);
    int wrap = cl.getUsageHelpWidth();
    StringBuilder b = new StringBuilder();
    for (var e : subs.entrySet()) {
      String summary = summary(e.getValue().getCommandSpec().usageMessage());
      List<String> lines = wrap(summary, wrap - width - 4);
      String pad = " ".repeat(width + 4);
      b.append("  ").append(String.format("%-" + width + "s", e.getKey())).append("  ").append(lines.getFirst()).append('\n');
      for (String l : lines.subList(1, lines.size())) {
        b.append(pad).append(l).append('\n');
      }
    }
    return b.toString();
  }

  /** The first sentence of the description (header if the command has one). */
  static String summary(UsageMessageSpec u) {
    String[] src = u.header().length > 0 ? u.header() : u.description();
    String all = String.join(" ", src).strip();
    Matcher m = SENTENCE.matcher(all);
    String s = m.find() ? m.group(1) : all;
    return s.endsWith(":") ? s.substring(0, s.length() - 1) + "." : s;
  }

  static List<String> wrap(String text, int width) {
    List<String> out = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String w : text.split(" ")) {
      if (line.length() > 0 && line.length() + 1 + w.length() > width) {
        out.add(line.toString());
        line.setLength(0);
      }
      if (line.length() > 0) {
        line.append(' ');
      }
      line.append(w);
    }
    out.add(line.toString());
    return out;
  }
}
