package kvmuf.vm;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The test counts from the JUnit console launcher's summary box ({@code [  5 tests successful ]}).
 * "Skipped" here adds the launcher's skipped (disabled) and aborted (a failed assumption, which is
 * how a test skips itself when /dev/kvm is absent) counts: both are tests that did not check anything.
 */
public record JUnitSummary(long found, long started, long passed, long failed, long skipped) {
  private static final Pattern LINE = Pattern.compile(
      "\\[\\s*(\\d+) tests (found|started|successful|failed|skipped|aborted)\\s*\\]");

  /** Parses the launcher's output; empty when no summary was printed (the launcher crashed). */
  public static Optional<JUnitSummary> parse(List<String> lines) {
    Map<String, Long> n = new HashMap<>();
    for (String l : lines) {
      Matcher m = LINE.matcher(l);
      if (m.find()) {
        n.put(m.group(2), Long.parseLong(m.group(1)));
      }
    }
    if (!n.containsKey("found") || !n.containsKey("failed")) {
      return Optional.empty();
    }
    return Optional.of(new JUnitSummary(n.get("found"), n.getOrDefault("started", 0L),
        n.getOrDefault("successful", 0L), n.get("failed"),
        n.getOrDefault("skipped", 0L) + n.getOrDefault("aborted", 0L)));
  }

  /** A suite that checked nothing, or found a failure, fails the run. */
  public boolean ok() {
    return failed == 0 && passed > 0;
  }

  public String counts() {
    return "tests run " + started + ", passed " + passed + ", failed " + failed + ", skipped " + skipped;
  }
}
