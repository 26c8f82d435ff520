package kvmuf.model;

/** A flags-only memslot update waiting for SRCU readers and its commit: the spec's {@code MemslotOps}. */
public enum MemslotOp {
  IDLE("idle"), ENABLE("enable"), DISABLE("disable"), DIRTY_ON("dirtyOn"), DIRTY_OFF("dirtyOff");

  public final String tla;
  private static final MemslotOp[] ALL = values();

  MemslotOp(String tla) {
    this.tla = tla;
  }

  public static MemslotOp of(int code) {
    return ALL[code];
  }
}
