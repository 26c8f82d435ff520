package kvmuf.explore;

/**
 * The explorer's seen-set: 64-bit state fingerprints in open-addressing tables, split into
 * segments by the fingerprint's top bits so that workers rarely contend for a lock. A segment
 * grows by half when three quarters full, so the set costs between 8/0.75 and 8/0.5 bytes per
 * fingerprint: at most 16 bytes per distinct state. A caller that knows roughly how many states
 * to expect (the recorded count of a shipped config) sizes the tables up front, as TLC sizes its
 * fingerprint set, which saves the rehashing that growth costs.
 */
public final class FingerprintSet {
  private static final int SEGMENT_BITS = 8;
  private final Segment[] segments = new Segment[1 << SEGMENT_BITS];

  public FingerprintSet() {
    this(0);
  }

  /** A set sized for about {@code expected} fingerprints (at load 0.7); 0 starts small. */
  public FingerprintSet(long expected) {
    int perSegment = (int) Math.max(64, Math.min(1 << 28, expected / segments.length * 10 / 7 + 1));
    for (int i = 0; i < segments.length; i++) {
      segments[i] = new Segment(perSegment);
    }
  }

  /** Adds the fingerprint; true when it was not there before. */
  public boolean add(long fp) {
    if (fp == 0) {
      fp = 1; // 0 marks an empty slot
    }
    return segments[(int) (fp >>> (64 - SEGMENT_BITS))].add(fp);
  }

  /**
   * {@link #add} for {@code fps[0 .. n)}, in that order, each answer in {@code isNew}. The slot each
   * fingerprint hashes to is read first, for all of them and without the segment locks (a stale table
   * is harmless: the value is not used), so that the cache misses of the batch overlap instead of
   * each waiting for the one before it; the adds then find their slots in the cache.
   */
  public void addAll(long[] fps, int n, boolean[] isNew) {
    long touched = 0;
    for (int i = 0; i < n; i++) {
      long fp = fps[i] == 0 ? 1 : fps[i];
      long[] t = segments[(int) (fp >>> (64 - SEGMENT_BITS))].table;
      touched += t[Segment.slot(fp, t.length)];
    }
    sink = touched; // keeps the loads: the JIT may not drop what reaches a field
    for (int i = 0; i < n; i++) {
      isNew[i] = add(fps[i]);
    }
  }

  @SuppressWarnings("unused")
  private long sink;

  public long size() {
    long n = 0;
    for (Segment s : segments) {
      synchronized (s) {
        n += s.size;
      }
    }
    return n;
  }

  /** Bytes held by the tables (the fingerprints and the empty slots between them). */
  public long bytes() {
    long n = 0;
    for (Segment s : segments) {
      synchronized (s) {
        n += 8L * s.table.length;
      }
    }
    return n;
  }

  private static final class Segment {
    long[] table;
    int size;

    Segment(int capacity) {
      table = new long[capacity];
    }

    synchronized boolean add(long fp) {
      if (size + 1 > table.length * 3L / 4) {
        grow();
      }
      if (insert(table, fp)) {
        size++;
        return true;
      }
      return false;
    }

    private void grow() {
      long[] bigger = new long[table.length + table.length / 2];
      for (long fp : table) {
        if (fp != 0) {
          insert(bigger, fp);
        }
      }
      table = bigger;
    }

    /** Multiply-shift maps the low bits onto any table length (no power of two needed). */
    static int slot(long fp, int cap) {
      return (int) (((fp & 0xFFFFFFFFL) * cap) >>> 32);
    }

    private static boolean insert(long[] t, long fp) {
      int cap = t.length;
      int i = slot(fp, cap);
      while (true) {
        long cur = t[i];
        if (cur == 0) {
          t[i] = fp;
          return true;
        }
        if (cur == fp) {
          return false;
        }
        if (++i == cap) {
          i = 0;
        }
      }
    }
  }
}
