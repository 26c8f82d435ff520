package kvmuf.check;

/** The outcome of checking one config. */
public enum Verdict {
  /** Every invariant held in every reachable state and no deadlock was found. */
  OK,
  /** An invariant failed or a deadlock was reached; the result names which and shows how. */
  VIOLATION,
  /** The engine could not finish (a parse error, a crash): nothing can be concluded. */
  ERROR;

  public String json() {
    return name().toLowerCase();
  }
}
