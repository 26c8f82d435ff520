package kvmuf.vm;

/**
 * A VM-runner failure the user can act on (a missing tool, an unknown kernel, a bad option pair): one line,
 * never a stack trace. The command line maps {@link Kind} to its exit code; the VM runner knows no exit codes.
 */
public final class VmException extends RuntimeException {
  /** What kind of mistake: the user's arguments, or the machine's environment. */
  public enum Kind {
    USAGE,
    ENVIRONMENT
  }

  private final Kind kind;

  private VmException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public static VmException usage(String message) {
    return new VmException(Kind.USAGE, message);
  }

  public static VmException environment(String message) {
    return new VmException(Kind.ENVIRONMENT, message);
  }

  public Kind kind() {
    return kind;
  }
}
