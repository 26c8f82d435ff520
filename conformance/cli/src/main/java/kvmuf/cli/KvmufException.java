package kvmuf.cli;

/** A failure the user can act on: printed as one line, never as a stack trace. */
public class KvmufException extends RuntimeException {
  private final int exitCode;

  public KvmufException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  public static KvmufException usage(String message) {
    return new KvmufException(ExitCodes.USAGE, message);
  }

  public static KvmufException environment(String message) {
    return new KvmufException(ExitCodes.ENVIRONMENT, message);
  }

  public int exitCode() {
    return exitCode;
  }
}
