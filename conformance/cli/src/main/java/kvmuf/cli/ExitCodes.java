package kvmuf.cli;

/** The kit's exit codes (DESIGN section 7). */
public final class ExitCodes {
  public static final int OK = 0;
  /** A violated invariant, a divergence from the model, a disagreement between engines. */
  public static final int VIOLATION = 1;
  public static final int USAGE = 2;
  /** Something the run needs is not on this machine: /dev/kvm, QEMU, a JDK. */
  public static final int ENVIRONMENT = 3;

  private ExitCodes() {}
}
