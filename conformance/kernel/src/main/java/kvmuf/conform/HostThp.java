package kvmuf.conform;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the host's transparent huge pages give a mapping (for rules that need a THP behind the slot). */
public final class HostThp {
  private HostThp() {}

  /** The THP mode line, e.g. "always [madvise] never"; "absent" without THP support. */
  public static String mode() {
    try {
      Path p = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
      return Files.exists(p) ? Files.readString(p).strip() : "absent";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** AnonHugePages (kB) of the VMA of this process containing {@code address}, from /proc/self/smaps. */
  public static long anonHugeKb(long address) {
    boolean in = false;
    try {
      for (String l : Files.readAllLines(Path.of("/proc/self/smaps"))) {
        int dash = l.indexOf('-');
        int space = l.indexOf(' ');
        if (dash > 0 && space > dash) {
          try {
            long lo = Long.parseUnsignedLong(l.substring(0, dash), 16);
            long hi = Long.parseUnsignedLong(l.substring(dash + 1, space), 16);
            in = address >= lo && address < hi;
            continue;
          } catch (NumberFormatException notAHeader) {
            // a field line
          }
        }
        if (in && l.startsWith("AnonHugePages:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return 0;
  }
}
