package kvmuf.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The kernel's log ring, read through {@code /dev/kmsg} (one record per read(2), non-blocking, so the read
 * ends where the ring ends). The kit reads it to see WARNs: a WARN_ON that fires inside KVM prints a record
 * starting "WARNING:" and is a bug whatever the ioctl returned (R10's recovery while dirty logging is one).
 */
public final class KernelLog {
  public static final String DEVICE = "/dev/kmsg";
  private static final int EPIPE = 32; // a record was overwritten while we read: go on with the next

  private KernelLog() {}

  /** Every record's message text, oldest first; empty when the log cannot be read (no device, not root). */
  public static Optional<List<String>> read() {
    long fd = Libc.openRaw(DEVICE, Libc.O_RDONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
    if (fd < 0) return Optional.empty();
    List<String> out = new ArrayList<>();
    try (Arena a = Arena.ofConfined()) {
      MemorySegment buf = a.allocate(8192);
      while (true) {
        long n = Libc.readRaw((int) fd, buf, buf.byteSize());
        if (n == -EPIPE) continue;
        if (n <= 0) break; // -EAGAIN: the end of the ring; another error: stop where we are
        String rec = new String(buf.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        // "prio,seq,usec,flags;message\n key=value continuation lines"
        int semi = rec.indexOf(';');
        String msg = semi < 0 ? rec : rec.substring(semi + 1);
        int nl = msg.indexOf('\n');
        out.add(nl < 0 ? msg : msg.substring(0, nl));
      }
    } finally {
      Libc.close((int) fd);
    }
    return Optional.of(out);
  }

  /** The WARN records ("WARNING: CPU: 0 PID: 1 at arch/x86/kvm/..."), oldest first. */
  public static Optional<List<String>> warnings() {
    return read().map(KernelLog::warningsIn);
  }

  /** The WARN records among {@code messages} (a WARN_ON's report starts "WARNING: CPU: n PID: m at FILE:LINE"). */
  public static List<String> warningsIn(List<String> messages) {
    return messages.stream().filter(m -> m.startsWith("WARNING:")).toList();
  }
}
