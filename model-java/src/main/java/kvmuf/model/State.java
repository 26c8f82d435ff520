package kvmuf.model;

/**
 * An immutable model state: the two packed words of {@link StateBits}. Equality is word
 * equality; the fingerprint mixes both words.
 */
public record State(long g, long v) {

  public long fingerprint() {
    return fingerprint(g, v);
  }

  public static long fingerprint(long g, long v) {
    // A 128 -> 64 bit mix (two rounds of the splitmix64 finaliser).
    long h = g * 0x9E3779B97F4A7C15L ^ Long.rotateLeft(v, 31) * 0xC2B2AE3D27D4EB4FL;
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
