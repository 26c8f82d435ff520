package kvmuf.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsing of the command line's sizes ("64M", as demand_paging_test -b takes them) and vCPU lists ("1,2,4"). */
public final class Sizes {
  public static final long PAGE = 4096;
  /** More vCPUs than KVM's usual KVM_MAX_VCPUS makes no sense here. */
  public static final int MAX_VCPUS = 1024;
  private static final Pattern SIZE = Pattern.compile("(\\d{1,12})([KMGT]?)(?:i?B)?", Pattern.CASE_INSENSITIVE);

  private Sizes() {}

  /** "64M" -> 67108864; binary units (K = 1024), as the selftest's parse_size. Must be a positive multiple of 4 KiB. */
  public static long parseSize(String s) {
    Matcher m = SIZE.matcher(s.strip());
    if (!m.matches()) throw new IllegalArgumentException("bad size '" + s + "' (examples: 64M, 1G, 512K, 4096)");
    long n = Long.parseLong(m.group(1));
    int shift = switch (m.group(2).toUpperCase(Locale.ROOT)) {
      case "K" -> 10;
      case "M" -> 20;
      case "G" -> 30;
      case "T" -> 40;
      default -> 0;
    };
    if (n == 0 || Long.numberOfLeadingZeros(n) <= shift + 1) throw new IllegalArgumentException("bad size '" + s + "': must be positive and below 2^62 bytes");
    long bytes = n << shift;
    if (bytes % PAGE != 0) throw new IllegalArgumentException("bad size '" + s + "': must be a multiple of 4 KiB (one page)");
    return bytes;
  }

  /** "64 MiB", "1 GiB", "12 KiB": the largest binary unit that divides the size. */
  public static String format(long bytes) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (u < units.length - 1 && bytes % 1024 == 0 && bytes > 0) {
      bytes /= 1024;
      u++;
    }
    return bytes + " " + units[u];
  }

  /** The size as demand_paging_test -b wants it ("64M"). */
  public static String selftestSize(long bytes) {
    if (bytes % (1L << 30) == 0) return (bytes >> 30) + "G";
    if (bytes % (1L << 20) == 0) return (bytes >> 20) + "M";
    if (bytes % (1L << 10) == 0) return (bytes >> 10) + "K";
    return Long.toString(bytes);
  }

  /** "1,2,4,8" -> [1, 2, 4, 8]: positive, at most MAX_VCPUS, no repeats; order kept. */
  public static List<Integer> parseCounts(String csv) {
    List<Integer> out = new ArrayList<>();
    for (String part : csv.split(",", -1)) {
      String p = part.strip();
      int n;
      try {
        n = Integer.parseInt(p);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad vCPU list '" + csv + "': '" + p + "' is not a number (example: 1,2,4,8)");
      }
      if (n < 1 || n > MAX_VCPUS) throw new IllegalArgumentException("bad vCPU list '" + csv + "': " + n + " is outside 1.." + MAX_VCPUS);
      if (out.contains(n)) throw new IllegalArgumentException("bad vCPU list '" + csv + "': " + n + " given twice");
      out.add(n);
    }
    return out;
  }
}
