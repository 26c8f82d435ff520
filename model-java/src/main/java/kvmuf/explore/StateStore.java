package kvmuf.explore;

/**
 * Every distinct state in discovery order with its parent and the action that found it, so
 * that a counterexample can be walked back to the initial state. Chunked so that growing never
 * copies what is already stored. Appended to by one thread at a time (the level merge).
 */
final class StateStore {
  private static final int CHUNK_BITS = 20;
  private static final int CHUNK = 1 << CHUNK_BITS;
  private long[][] g = new long[16][];
  private long[][] v = new long[16][];
  private int[][] parent = new int[16][];
  private int[][] action = new int[16][];
  private int size;

  int add(long gw, long vw, int parentIndex, int actionCode) {
    int c = size >>> CHUNK_BITS;
    if (c == g.length) {
      g = java.util.Arrays.copyOf(g, c * 2);
      v = java.util.Arrays.copyOf(v, c * 2);
      parent = java.util.Arrays.copyOf(parent, c * 2);
      action = java.util.Arrays.copyOf(action, c * 2);
    }
    if (g[c] == null) {
      g[c] = new long[CHUNK];
      v[c] = new long[CHUNK];
      parent[c] = new int[CHUNK];
      action[c] = new int[CHUNK];
    }
    int o = size & (CHUNK - 1);
    g[c][o] = gw;
    v[c][o] = vw;
    parent[c][o] = parentIndex;
    action[c][o] = actionCode;
    return size++;
  }

  int size() {
    return size;
  }

  long g(int i) {
    return g[i >>> CHUNK_BITS][i & (CHUNK - 1)];
  }

  long v(int i) {
    return v[i >>> CHUNK_BITS][i & (CHUNK - 1)];
  }

  int parent(int i) {
    return parent[i >>> CHUNK_BITS][i & (CHUNK - 1)];
  }

  int action(int i) {
    return action[i >>> CHUNK_BITS][i & (CHUNK - 1)];
  }
}
