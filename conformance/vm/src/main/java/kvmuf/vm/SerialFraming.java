package kvmuf.vm;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalInt;

/**
 * Splits the guest's serial console into the command's framed output and everything else.
 *
 * <p>The kernel and the command share one console (ttyS0), and kernel messages may appear at any
 * time, even in the middle of a line the command is writing. So the guest's init prefixes every
 * line it forwards with a per-run random nonce and a tag: {@code <nonce> O text} (the command's
 * stdout), {@code E} (stderr), {@code L} (init's log: module loading), {@code K} (the guest's
 * kernel release), and ends with {@code <nonce> X <exit code>}. The nonce is generated on the
 * host for each run and reaches the guest only inside the initramfs (never on the kernel command
 * line, which the kernel echoes), so no kernel message can carry it. Text before a nonce on the
 * same line is kernel noise that interrupted the line; it is reported as console output.
 */
public final class SerialFraming {
  /** One piece of what the console showed. */
  public sealed interface Event {}

  /** A line the command wrote: {@code stderr} tells which stream it came from. */
  public record Output(boolean stderr, String text) implements Event {}

  /** A line of init's own log (module loading). */
  public record Log(String text) implements Event {}

  /** The guest kernel's release (uname -r), as init reported it. */
  public record KernelRelease(String release) implements Event {}

  /** The command finished with this exit code: the run's trailer. */
  public record Exit(int code) implements Event {}

  /** A console line that is not framed: kernel messages, firmware, QEMU. */
  public record Console(String line) implements Event {}

  private final String marker;
  private final StringBuilder partial = new StringBuilder();

  public SerialFraming(String nonce) {
    if (nonce.length() < 16 || nonce.contains(" ")) {
      throw new IllegalArgumentException("nonce must be at least 16 characters, no spaces");
    }
    this.marker = nonce + " ";
  }

  /** A fresh nonce: 128 random bits in hex, prefixed so a human reading a log recognises it. */
  public static String newNonce() {
    byte[] b = new byte[16];
    new SecureRandom().nextBytes(b);
    return "kvmuf-" + HexFormat.of().formatHex(b);
  }

  /** Feeds console text as it arrives (any chunking); returns the events of the lines it completed. */
  public List<Event> feed(CharSequence chunk) {
    List<Event> events = new ArrayList<>();
    for (int i = 0; i < chunk.length(); i++) {
      char c = chunk.charAt(i);
      if (c == '\n') {
        line(partial.toString(), events);
        partial.setLength(0);
      } else if (c != '\r') { // the tty turns \n into \r\n
        partial.append(c);
      }
    }
    return events;
  }

  /**
   * The console ended: a line without its newline is reported as console output. A framed line cut
   * short is not trusted as a command line (its end is unknown), so the trailer cannot come from it.
   */
  public List<Event> finish() {
    List<Event> events = new ArrayList<>();
    if (!partial.isEmpty()) {
      events.add(new Console(partial.toString()));
      partial.setLength(0);
    }
    return events;
  }

  private void line(String line, List<Event> events) {
    int at = line.indexOf(marker);
    if (at < 0) {
      events.add(new Console(line));
      return;
    }
    if (at > 0) {
      events.add(new Console(line.substring(0, at)));
    }
    String rest = line.substring(at + marker.length());
    String tag = rest.isEmpty() ? "" : rest.substring(0, 1);
    String payload = rest.length() > 2 ? rest.substring(2) : "";
    if (rest.length() > 1 && rest.charAt(1) != ' ') {
      events.add(new Console(line.substring(at)));
      return;
    }
    switch (tag) {
      case "O" -> events.add(new Output(false, payload));
      case "E" -> events.add(new Output(true, payload));
      case "L" -> events.add(new Log(payload));
      case "K" -> events.add(new KernelRelease(payload.strip()));
      case "X" -> {
        OptionalInt code = parseCode(payload.strip());
        events.add(code.isPresent() ? new Exit(code.getAsInt()) : new Console(line.substring(at)));
      }
      default -> events.add(new Console(line.substring(at)));
    }
  }

  private static OptionalInt parseCode(String s) {
    if (!s.matches("[0-9]{1,3}")) {
      return OptionalInt.empty();
    }
    int v = Integer.parseInt(s);
    return v <= 255 ? OptionalInt.of(v) : OptionalInt.empty();
  }
}
