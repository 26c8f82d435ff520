package kvmuf.model;

/** What a read sees: the spec's {@code Values}. */
public enum ValueClass {
  NONE("none"), FETCHED("fetched"), ZERO("zero"), STALE("stale");

  public final String tla;
  private static final ValueClass[] ALL = values();

  ValueClass(String tla) {
    this.tla = tla;
  }

  public static ValueClass of(int code) {
    return ALL[code];
  }
}
