package kvmuf.conform;

import kvmuf.model.ValueClass;

/**
 * The bytes the VMM installs for a gfn ("fetched from the migration source") and how a guest read's 32-bit
 * word is classified into the model's value classes: the gfn's pattern is {@code fetched}, 0 is {@code zero},
 * anything else is {@code stale}.
 */
public final class Contents {
  private Contents() {}

  /** The word every 4-byte slot of gfn {@code gfn}'s page holds once installed: never 0, distinct per gfn. */
  public static int fetched(int gfn) {
    return 0xC0DE0000 | (gfn & 0xFFFF);
  }

  public static ValueClass classify(int gfn, int word) {
    if (word == fetched(gfn)) return ValueClass.FETCHED;
    return word == 0 ? ValueClass.ZERO : ValueClass.STALE;
  }
}
