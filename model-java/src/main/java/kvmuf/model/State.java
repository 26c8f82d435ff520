package kvmuf.model;

import java.util.Arrays;

/**
 * An immutable model state: the packed words of {@link StateBits} (a copy: neither the caller's
 * array nor {@link #words()}'s result is shared). Equality is word equality; the fingerprint mixes
 * every word.
 */
public final class State {
  private final long[] words;

  public State(long[] words) {
    this.words = words.clone();
  }

  /** A copy of the packed words. */
  public long[] words() {
    return words.clone();
  }

  /** Read-only view for callers outside the package that only read (Invariant, Observations, StateBits). */
  public long[] view() {
    return words;
  }

  public long fingerprint() {
    return fingerprint(words);
  }

  /**
   * Words to 64 bits: from the last word to the first, each step h = fmix(w * K + h), a bijection
   * of w for a given h, so two states that differ in one word never collide, and across words the
   * collisions are those of a random 64-bit function (about n^2 / 2^65). For two words this is the
   * mix the two-long encoding used (fmix(g * K + fmix(v ^ C))); that one replaced a mix whose low
   * bits depended only on low bits, which lost 2 or 3 of the 17,603,737 distinct states of the
   * frames config (counted exactly).
   */
  public static long fingerprint(long[] w) {
    int i = w.length - 1;
    long h = fmix(w[i] ^ 0x632BE59BD9B4E019L);
    while (--i >= 0) {
      h = fmix(w[i] * 0x9E3779B97F4A7C15L + h);
    }
    return h;
  }

  private static long fmix(long h) {
    h ^= h >>> 33;
    h *= 0xFF51AFD7ED558CCDL;
    h ^= h >>> 33;
    h *= 0xC4CEB9FE1A85EC53L;
    h ^= h >>> 33;
    return h;
  }

  public State canonical(int vcpus) {
    long[] c = words.clone();
    StateBits.canonicalVcpus(c, vcpus);
    return new State(c);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof State s && Arrays.equals(words, s.words);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(fingerprint());
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("State[");
    for (int i = 0; i < words.length; i++) {
      b.append(i == 0 ? "" : " ").append(Long.toHexString(words[i]));
    }
    return b.append(']').toString();
  }
}
