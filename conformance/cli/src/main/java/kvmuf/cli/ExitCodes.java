package kvmuf.cli;

/** The kit's exit codes (DESIGN section 7); each means one thing so CI can tell a full disk from a divergence. */
public final class ExitCodes {
  public static final int OK = 0;
  /** A violated invariant, a divergence from the model, a disagreement between engines. Nothing else. */
  public static final int VIOLATION = 1;
  /** A bad command line, a bad input file (trace, config), an output that would clobber something. */
  public static final int USAGE = 2;
  /** Something the run needs is not on this machine: /dev/kvm, QEMU, a JDK, a usable TLC jar. */
  public static final int ENVIRONMENT = 3;
  /** Reading or writing a file failed (permission, read-only filesystem, disk full), or the kit itself failed. */
  public static final int IO_OR_INTERNAL = 4;

  private ExitCodes() {}
}
