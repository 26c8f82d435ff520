package kvmuf.conform;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How fast a conform run went: kernel steps per second of wall-clock time, next to the CPU time the process
 * spent (the difference is time asleep: waiting for the kernel, or for nothing).
 *
 * @param steps kernel steps run (rule steps and trace steps)
 * @param wallSeconds elapsed time of the run
 * @param cpuSeconds CPU time of this process (all threads, user + system) during the run
 */
public record StepRate(long steps, double wallSeconds, double cpuSeconds) {

  /** Starts the clocks. */
  public static Stopwatch start() {
    return new Stopwatch(System.nanoTime(), processCpuSeconds());
  }

  /** A started measurement. */
  public record Stopwatch(long wallStart, double cpuStart) {
    public StepRate stop(long steps) {
      return new StepRate(steps, (System.nanoTime() - wallStart) / 1e9, Math.max(0, processCpuSeconds() - cpuStart));
    }
  }

  public double stepsPerSecond() {
    return wallSeconds <= 0 ? 0 : steps / wallSeconds;
  }

  /** {@code rate: 1954 steps in 3.10 s wall, 2.40 s CPU: 630.3 steps/s}. */
  public String line() {
    return String.format(Locale.ROOT, "rate: %d steps in %.2f s wall, %.2f s CPU: %.1f steps/s", steps, wallSeconds, cpuSeconds,
        stepsPerSecond());
  }

  /** The JSON object {@code rate}: steps, wallSeconds, cpuSeconds, stepsPerSecond. */
  public Map<String, Object> json() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("steps", steps);
    m.put("wallSeconds", round(wallSeconds));
    m.put("cpuSeconds", round(cpuSeconds));
    m.put("stepsPerSecond", round(stepsPerSecond()));
    return m;
  }

  private static double round(double d) {
    return Math.round(d * 1000) / 1000.0;
  }

  /**
   * utime + stime of this process from /proc/self/stat (fields 14 and 15, in clock ticks of 1/100 s: USER_HZ
   * is 100 on every Linux architecture the kit runs on); -1 where /proc cannot be read.
   */
  static double processCpuSeconds() {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // f[0] is field 3 (state): utime is field 14, stime field 15
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
