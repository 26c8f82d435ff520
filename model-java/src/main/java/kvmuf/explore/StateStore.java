package kvmuf.explore;

/**
 * Every distinct state in discovery order with its parent and the action that found it, so
 * that a counterexample can be walked back to the initial state. A state is {@code width} words
 * (the config's {@link kvmuf.model.StateBits#words}); the store keeps only the bits that hold
 * fields ({@link kvmuf.model.StateBits#usedBits}), packed into {@code packed} words side by side
 * (frames: 115 bits, 2 words instead of 3), since the store is most of the explorer's memory.
 * Chunked so that growing never copies what is already stored. Reserved by one thread at a time
 * (the level merge), then written by many (each its own reserved range), and read by many.
 */
final class StateStore {
  private static final int CHUNK_BITS = 20;
  private static final int CHUNK = 1 << CHUNK_BITS;
  private final int width;
  /** Words per stored state. */
  private final int packed;
  /** (word, shift, width) of each used bit run, in packing order; null when packing saves nothing. */
  private final int[] runs;
  private long[][] words = new long[16][];
  private int[][] parent = new int[16][];
  private int[][] action = new int[16][];
  private int size;

  StateStore(int numGfns, int vcpus) {
    this.width = kvmuf.model.StateBits.words(numGfns, vcpus);
    int p = kvmuf.model.StateBits.packedWords(numGfns, vcpus);
    this.runs = p < width ? kvmuf.model.StateBits.usedBits(numGfns, vcpus) : null;
    this.packed = runs == null ? width : p;
  }

  int width() {
    return width;
  }

  /** Appends the state in {@code src[from .. from + width)}. */
  int add(long[] src, int from, int parentIndex, int actionCode) {
    int i = reserve(1);
    set(i, src, from, parentIndex, actionCode);
    return i;
  }

  /**
   * Makes room for {@code n} more states and returns the index of the first: the level merge reserves each
   * worker's range in turn, then the workers {@link #set} their own ranges at the same time.
   */
  int reserve(int n) {
    int first = size;
    int last = first + n - 1;
    for (int c = first >>> CHUNK_BITS; n > 0 && c <= last >>> CHUNK_BITS; c++) {
      if (c == words.length) {
        words = java.util.Arrays.copyOf(words, c * 2);
        parent = java.util.Arrays.copyOf(parent, c * 2);
        action = java.util.Arrays.copyOf(action, c * 2);
      }
      if (words[c] == null) {
        words[c] = new long[CHUNK * packed];
        parent[c] = new int[CHUNK];
        action[c] = new int[CHUNK];
      }
    }
    size += n;
    return first;
  }

  /** Writes state {@code i} (reserved): threads may set distinct indices at once. */
  void set(int i, long[] src, int from, int parentIndex, int actionCode) {
    int c = i >>> CHUNK_BITS;
    int o = i & (CHUNK - 1);
    if (runs == null) {
      System.arraycopy(src, from, words[c], o * width, width);
    } else {
      pack(src, from, words[c], o * packed);
    }
    parent[c][o] = parentIndex;
    action[c][o] = actionCode;
  }

  int size() {
    return size;
  }

  /** Copies state i into {@code into} (length {@code width}). */
  void get(int i, long[] into) {
    long[] chunk = words[i >>> CHUNK_BITS];
    int base = (i & (CHUNK - 1)) * packed;
    if (runs == null) {
      System.arraycopy(chunk, base, into, 0, width);
    } else {
      unpack(chunk, base, into);
    }
  }

  long[] get(int i) {
    long[] s = new long[width];
    get(i, s);
    return s;
  }

  private void pack(long[] src, int from, long[] dst, int at) {
    for (int k = 0; k < packed; k++) {
      dst[at + k] = 0;
    }
    int bit = 0;
    for (int r = 0; r < runs.length; r += 3) {
      int w = runs[r + 2];
      long v = (src[from + runs[r]] >>> runs[r + 1]) & (w == 64 ? -1L : (1L << w) - 1);
      int word = at + (bit >>> 6);
      int sh = bit & 63;
      dst[word] |= v << sh;
      if (sh + w > 64) {
        dst[word + 1] |= v >>> (64 - sh);
      }
      bit += w;
    }
  }

  private void unpack(long[] src, int at, long[] into) {
    java.util.Arrays.fill(into, 0, width, 0L);
    int bit = 0;
    for (int r = 0; r < runs.length; r += 3) {
      int w = runs[r + 2];
      int word = at + (bit >>> 6);
      int sh = bit & 63;
      long v = src[word] >>> sh;
      if (sh + w > 64) {
        v |= src[word + 1] << (64 - sh);
      }
      v &= w == 64 ? -1L : (1L << w) - 1;
      into[runs[r]] |= v << runs[r + 1];
      bit += w;
    }
  }

  /** Bytes per stored state (its words, its parent and its action). */
  int bytesPerState() {
    return 8 * packed + 8;
  }

  int parent(int i) {
    return parent[i >>> CHUNK_BITS][i & (CHUNK - 1)];
  }

  int action(int i) {
    return action[i >>> CHUNK_BITS][i & (CHUNK - 1)];
  }
}
