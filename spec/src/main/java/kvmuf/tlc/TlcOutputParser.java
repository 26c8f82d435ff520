package kvmuf.tlc;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import kvmuf.check.CheckResult;
import kvmuf.check.TraceState;

/**
 * Reads TLC's {@code -tool} output: messages framed by {@code @!@!@STARTMSG code:severity @!@!@}
 * and {@code @!@!@ENDMSG code @!@!@}. Fed line by line as TLC prints, so progress can be shown
 * while the search runs.
 */
public final class TlcOutputParser {
  // Message codes of TLC2 2.18 (tlc2.output.EC) that the kit reads.
  static final int INVARIANT_VIOLATED = 2110;
  static final int DEADLOCK_REACHED = 2114;
  static final int STARTING = 2185;
  static final int FINISHED = 2186;
  static final int SEARCH_DEPTH = 2194;
  static final int STATS = 2199;
  static final int PROGRESS = 2200;
  static final int STATE_PRINT = 2217;
  static final int SUCCESS = 2193;
  static final int COMPUTING_INIT = 2189;
  static final int INIT_GENERATED = 2190;

  private static final Pattern START = Pattern.compile("^@!@!@STARTMSG (\\d+):(\\d+) @!@!@$");
  private static final Pattern END = Pattern.compile("^@!@!@ENDMSG (\\d+) @!@!@$");
  private static final Pattern STATS_LINE =
      Pattern.compile("([\\d,]+) states generated.*?([\\d,]+) distinct states found");
  private static final Pattern DEPTH_LINE = Pattern.compile("search is (\\d+)");
  private static final Pattern INVARIANT_LINE = Pattern.compile("^Invariant (\\w+) is violated");
  private static final Pattern STATE_HEADER = Pattern.compile("^(\\d+): <(\\S+)(?: .*)?>$");
  private static final Pattern VAR_LINE = Pattern.compile("^/\\\\ (\\w+) = (.*)$");

  private final Consumer<String> progress;
  private int code = -1;
  private int severity;
  private final List<String> body = new ArrayList<>();

  private Optional<String> property = Optional.empty();
  private boolean success;
  private long generated;
  private long distinct;
  private int depth;
  private long startNanos;
  private long endNanos;
  private final List<TraceState> trace = new ArrayList<>();
  private final List<String> errors = new ArrayList<>();
  private final List<String> loose = new ArrayList<>();

  public TlcOutputParser(Consumer<String> progress) {
    this.progress = progress;
  }

  public void line(String line) {
    Matcher m = START.matcher(line);
    if (m.matches()) {
      code = Integer.parseInt(m.group(1));
      severity = Integer.parseInt(m.group(2));
      body.clear();
      return;
    }
    m = END.matcher(line);
    if (m.matches()) {
      message(code, severity, List.copyOf(body));
      code = -1;
      return;
    }
    if (code >= 0) {
      body.add(line);
    } else if (!line.isBlank()) {
      loose.add(line);
    }
  }

  private void message(int code, int severity, List<String> lines) {
    String text = String.join("\n", lines).strip();
    switch (code) {
      case INVARIANT_VIOLATED -> {
        Matcher m = INVARIANT_LINE.matcher(text);
        property = Optional.of(m.find() ? m.group(1) : text);
      }
      case DEADLOCK_REACHED -> property = Optional.of(CheckResult.DEADLOCK);
      case STARTING -> {
        startNanos = System.nanoTime();
        progress.accept(text);
      }
      // TLC's first progress report comes after a minute; these say sooner where the run is.
      case COMPUTING_INIT, INIT_GENERATED -> progress.accept(text);
      case FINISHED -> endNanos = System.nanoTime();
      case SUCCESS -> success = true;
      case SEARCH_DEPTH -> {
        Matcher m = DEPTH_LINE.matcher(text);
        if (m.find()) {
          depth = Integer.parseInt(m.group(1));
        }
      }
      case STATS, PROGRESS -> {
        Matcher m = STATS_LINE.matcher(text);
        if (m.find()) {
          generated = parseCount(m.group(1));
          distinct = parseCount(m.group(2));
        }
        if (code == PROGRESS) {
          progress.accept(text);
        }
      }
      case STATE_PRINT -> trace.add(state(lines));
      default -> {
        // Severity 1 is an error of the model or the run (parse errors, bad config, crashes);
        // 2110/2114 are handled above.
        if (severity == 1 && code != 2121) {
          errors.add(text);
        }
      }
    }
  }

  static TraceState state(List<String> lines) {
    Matcher h = STATE_HEADER.matcher(lines.getFirst().strip());
    int index = 0;
    String action = "?";
    if (h.matches()) {
      index = Integer.parseInt(h.group(1));
      action = h.group(2);
    }
    if (lines.getFirst().contains("<Initial predicate>")) {
      action = "Init";
    }
    Map<String, String> vars = new LinkedHashMap<>();
    String current = null;
    for (String l : lines.subList(1, lines.size())) {
      Matcher v = VAR_LINE.matcher(l);
      if (v.matches()) {
        current = v.group(1);
        vars.put(current, v.group(2).strip());
      } else if (current != null && !l.isBlank()) {
        // Long values wrap onto continuation lines.
        vars.put(current, vars.get(current) + " " + l.strip());
      }
    }
    Map<String, String> sorted = new LinkedHashMap<>();
    vars.keySet().stream().sorted().forEach(k -> sorted.put(k, vars.get(k)));
    return new TraceState(index, action, sorted);
  }

  private static long parseCount(String s) {
    return Long.parseLong(s.replace(",", ""));
  }

  public Optional<String> property() {
    return property;
  }

  public boolean success() {
    return success;
  }

  public long generated() {
    return generated;
  }

  public long distinct() {
    return distinct;
  }

  public int depth() {
    return depth;
  }

  /** Seconds from TLC's "Starting..." to "Finished": the search itself, without JVM start and parsing. */
  public double searchSeconds() {
    if (startNanos == 0 || endNanos == 0) {
      return 0;
    }
    return (endNanos - startNanos) / 1e9;
  }

  public List<TraceState> trace() {
    return List.copyOf(trace);
  }

  public List<String> errors() {
    List<String> all = new ArrayList<>(errors);
    if (all.isEmpty() && property.isEmpty() && !success) {
      all.addAll(loose.stream().filter(l -> l.contains("rror")).toList());
    }
    return all;
  }
}
