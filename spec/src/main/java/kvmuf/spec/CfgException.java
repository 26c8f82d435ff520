package kvmuf.spec;

/**
 * A model config that cannot be used: a syntax error, an unknown keyword, constant or invariant,
 * a value out of range or a missing file. The message is one line that names the file and, where
 * there is one, the line ({@code own.cfg:7: NumGfns = two is not a number}); a command prints it
 * as a usage error, never as a stack trace.
 */
public final class CfgException extends RuntimeException {
  private final String source;
  private final int line;

  /** @param line 1-based, or 0 where the problem is the file as a whole */
  public CfgException(String source, int line, String what) {
    super((line > 0 ? source + ":" + line : source) + ": " + what);
    this.source = source;
    this.line = line;
  }

  public String source() {
    return source;
  }

  public int line() {
    return line;
  }
}
