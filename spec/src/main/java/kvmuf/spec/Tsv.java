package kvmuf.spec;

import java.util.ArrayList;
import java.util.List;

/** The kit's catalogue files: tab-separated rows, '#' comments, a fixed number of fields per row. */
final class Tsv {
  private Tsv() {}

  static List<String[]> rows(String file, String text, int fields) {
    List<String[]> rows = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split("\t");
      if (f.length != fields) {
        throw new IllegalStateException(file + ": expected " + fields + " tab-separated fields in '" + line + "'");
      }
      rows.add(f);
    }
    return rows;
  }
}
