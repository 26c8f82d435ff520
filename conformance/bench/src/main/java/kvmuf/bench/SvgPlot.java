package kvmuf.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A hand-written SVG line plot of per-vCPU pages/s against the vCPU count, one line per mode (no library: the
 * file is a few dozen elements). The x axis is categorical (the counts given, evenly spaced, as the series'
 * columns 2 / 8 / 64); the y axis is linear from 0. Unsupported cells are left out of their line.
 */
public final class SvgPlot {
  static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"};
  static final int W = 720, H = 420, LEFT = 90, RIGHT = 170, TOP = 40, BOTTOM = 60;

  private SvgPlot() {}

  public static String render(BenchConfig c, List<CellResult> cells) {
    String who = c.target() == Target.THREADS ? "thread" : "vCPU";
    double max = 0;
    for (CellResult r : cells) if (r instanceof CellResult.Measured m) max = Math.max(max, m.perVcpuPagesPerSecond());
    double yMax = niceCeil(max);
    int plotW = W - LEFT - RIGHT, plotH = H - TOP - BOTTOM;
    List<Integer> xs = c.vcpus();
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", W, H, W, H));
    s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", W, H));
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"22\" font-size=\"14\">%s</text>%n", LEFT,
        esc("demand paging, target " + c.target() + ", " + c.backing() + ", " + Sizes.format(c.memPerVcpu()) + " per " + who)));
    // Axes and y grid: five steps from 0 to yMax.
    for (int k = 0; k <= 5; k++) {
      double v = yMax * k / 5;
      double y = TOP + plotH - plotH * k / 5.0;
      s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n", LEFT, y, LEFT + plotW, y));
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>%n", LEFT - 6, y + 4, v));
    }
    s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", LEFT, TOP + plotH, LEFT + plotW, TOP + plotH));
    s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", LEFT, TOP, LEFT, TOP + plotH));
    for (int i = 0; i < xs.size(); i++) {
      s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>%n", x(i, xs.size(), plotW), TOP + plotH + 18, xs.get(i)));
    }
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", LEFT + plotW / 2, H - 16, esc(who + "s")));
    s.append(String.format(Locale.ROOT, "<text x=\"18\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 18 %d)\">%s</text>%n",
        TOP + plotH / 2, TOP + plotH / 2, esc("per-" + who + " pages/s (mean)")));
    int line = 0;
    for (Mode m : c.modes()) {
      String color = COLORS[line % COLORS.length];
      List<String> pts = new ArrayList<>();
      StringBuilder marks = new StringBuilder();
      for (int i = 0; i < xs.size(); i++) {
        if (Report.find(cells, m, xs.get(i)) instanceof CellResult.Measured r) {
          double px = x(i, xs.size(), plotW);
          double py = TOP + plotH - (yMax == 0 ? 0 : plotH * r.perVcpuPagesPerSecond() / yMax);
          pts.add(String.format(Locale.ROOT, "%.1f,%.1f", px, py));
          marks.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>%s</title></circle>%n",
              px, py, color, esc(m + ", " + xs.get(i) + " " + who + "s: " + Math.round(r.perVcpuPagesPerSecond()) + " pages/s per " + who)));
        }
      }
      s.append("<g class=\"mode\" data-mode=\"").append(esc(m.cliName())).append("\">\n");
      if (pts.size() > 1) s.append(String.format("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>%n", color, String.join(" ", pts)));
      s.append(marks);
      int ly = TOP + 10 + 20 * line;
      s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"/>%n", W - RIGHT + 15, ly, W - RIGHT + 35, ly, color));
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>%n", W - RIGHT + 40, ly + 4, esc(m.cliName() + (pts.isEmpty() ? " (unsupported)" : ""))));
      s.append("</g>\n");
      line++;
    }
    s.append("</svg>\n");
    return s.toString();
  }

  private static double x(int i, int count, int plotW) {
    return count == 1 ? LEFT + plotW / 2.0 : LEFT + 20 + (plotW - 40) * i / (double) (count - 1);
  }

  /** The next 1, 2 or 5 times a power of ten at or above v (0 stays 1, so an empty plot still has an axis). */
  static double niceCeil(double v) {
    if (v <= 0) return 1;
    double p = Math.pow(10, Math.floor(Math.log10(v)));
    for (double f : new double[] {1, 2, 5, 10}) if (f * p >= v) return f * p;
    return 10 * p;
  }

  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
