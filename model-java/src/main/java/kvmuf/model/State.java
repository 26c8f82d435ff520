package kvmuf.model;

/**
 * An immutable model state: the two packed words of {@link StateBits}. Equality is word
 * equality; the fingerprint mixes both words.
 */
public record State(long g, long v) {

  public long fingerprint() {
    return fingerprint(g, v);
  }

  /**
   * A 128 -> 64 bit mix: v through a full finaliser first, then g combined with it and finalised.
   * Each finaliser is a bijection, so for one v distinct g never collide, and across v the
   * collisions are those of a random 64-bit function (about n^2 / 2^65). The mix used before
   * (g and v each multiplied, xored, then one finaliser) let low bits depend only on low bits,
   * which lost 2 or 3 of the 17,603,737 distinct states of the frames config (counted exactly).
   */
  public static long fingerprint(long g, long v) {
    return fmix(g * 0x9E3779B97F4A7C15L + fmix(v ^ 0x632BE59BD9B4E019L));
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
    return new State(g, StateBits.canonicalVcpus(v, vcpus));
  }
}
