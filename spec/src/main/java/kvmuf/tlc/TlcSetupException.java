package kvmuf.tlc;

/** TLC cannot run on this machine as set up (KVMUF_TLA2TOOLS wrong, the jar broken): an environment problem. */
public final class TlcSetupException extends RuntimeException {
  public TlcSetupException(String message) {
    super(message);
  }
}
