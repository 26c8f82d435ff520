package kvmuf.trace;

/** Bad trace input: one line naming the file, the line and the field (the CLI exits 2 with it). */
public final class TraceFormatException extends RuntimeException {
  private final String file;
  private final int line;
  private final String field;

  public TraceFormatException(String file, int line, String field, String message) {
    super(file + ":" + line + ": " + (field == null ? "" : "field '" + field + "': ") + message);
    this.file = file;
    this.line = line;
    this.field = field;
  }

  public String file() { return file; }
  public int line() { return line; }
  public String field() { return field; }
}
