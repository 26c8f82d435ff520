package kvmuf.model;

/** A stage-2 mapping of one gfn: the spec's {@code SpteKinds}. */
public enum Spte {
  NONE("none"), SMALL("small"), HUGE("huge");

  public final String tla;
  private static final Spte[] ALL = values();

  Spte(String tla) {
    this.tla = tla;
  }

  public static Spte of(int code) {
    return ALL[code];
  }
}
