package kvmuf.model;

/** A memslot update (flags-only, or a DELETE / MOVE) waiting for SRCU readers and its commit: the spec's {@code MemslotOps}. */
public enum MemslotOp {
  IDLE("idle"), ENABLE("enable"), DISABLE("disable"), DIRTY_ON("dirtyOn"), DIRTY_OFF("dirtyOff"),
  /** A memslot DELETE / MOVE: the INVALID copy is active until CommitSlotChange. */
  DELETE("delete"), MOVE("move");

  public final String tla;
  private static final MemslotOp[] ALL = values();

  MemslotOp(String tla) {
    this.tla = tla;
  }

  public static MemslotOp of(int code) {
    return ALL[code];
  }
}
