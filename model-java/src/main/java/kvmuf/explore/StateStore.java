package kvmuf.explore;

/**
 * Every distinct state in discovery order with its parent and the action that found it, so
 * that a counterexample can be walked back to the initial state. A state is {@code width} words
 * (the config's {@link kvmuf.model.StateBits#words}), stored side by side. Chunked so that growing
 * never copies what is already stored. Appended to by one thread at a time (the level merge).
 */
final class StateStore {
  private static final int CHUNK_BITS = 20;
  private static final int CHUNK = 1 << CHUNK_BITS;
  private final int width;
  private long[][] words = new long[16][];
  private int[][] parent = new int[16][];
  private int[][] action = new int[16][];
  private int size;

  StateStore(int width) {
    this.width = width;
  }

  int width() {
    return width;
  }

  /** Appends the state in {@code src[from .. from + width)}. */
  int add(long[] src, int from, int parentIndex, int actionCode) {
    int c = size >>> CHUNK_BITS;
    if (c == words.length) {
      words = java.util.Arrays.copyOf(words, c * 2);
      parent = java.util.Arrays.copyOf(parent, c * 2);
      action = java.util.Arrays.copyOf(action, c * 2);
    }
    if (words[c] == null) {
      words[c] = new long[CHUNK * width];
      parent[c] = new int[CHUNK];
      action[c] = new int[CHUNK];
    }
    int o = size & (CHUNK - 1);
    System.arraycopy(src, from, words[c], o * width, width);
    parent[c][o] = parentIndex;
    action[c][o] = actionCode;
    return size++;
  }

  int size() {
    return size;
  }

  /** Copies state i into {@code into} (length {@code width}). */
  void get(int i, long[] into) {
    System.arraycopy(words[i >>> CHUNK_BITS], (i & (CHUNK - 1)) * width, into, 0, width);
  }

  long[] get(int i) {
    long[] s = new long[width];
    get(i, s);
    return s;
  }

  /** Whether state i is the state in {@code s}. */
  boolean is(int i, long[] s) {
    long[] chunk = words[i >>> CHUNK_BITS];
    int base = (i & (CHUNK - 1)) * width;
    for (int k = 0; k < width; k++) {
      if (chunk[base + k] != s[k]) {
        return false;
      }
    }
    return true;
  }

  int parent(int i) {
    return parent[i >>> CHUNK_BITS][i & (CHUNK - 1)];
  }

  int action(int i) {
    return action[i >>> CHUNK_BITS][i & (CHUNK - 1)];
  }
}
