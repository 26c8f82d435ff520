package kvmuf.explore;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import kvmuf.model.StateBits;
import org.junit.jupiter.api.Test;

/** The store keeps only the bits that hold fields, packed; what comes out is what went in. */
class StateStoreTest {
  @Test
  void packedStatesComeBackWordForWord() {
    SplittableRandom rnd = new SplittableRandom(14);
    for (int vcpus = 1; vcpus <= 4; vcpus++) {
      for (int gfns = 1; gfns <= 8; gfns++) {
        StateStore store = new StateStore(gfns, vcpus);
        int width = StateBits.words(gfns, vcpus);
        long[][] in = new long[200][];
        for (int i = 0; i < in.length; i++) {
          long[] s = new long[width];
          // random values in every field bit (the rest of each word stays 0, as in a real state)
          int[] runs = StateBits.usedBits(gfns, vcpus);
          for (int r = 0; r < runs.length; r += 3) {
            long mask = runs[r + 2] == 64 ? -1L : (1L << runs[r + 2]) - 1;
            s[runs[r]] |= (rnd.nextLong() & mask) << runs[r + 1];
          }
          in[i] = s;
          long[] src = new long[width + 3];
          System.arraycopy(s, 0, src, 3, width);
          assertThat(store.add(src, 3, i - 1, i)).isEqualTo(i);
        }
        for (int i = 0; i < in.length; i++) {
          assertThat(store.get(i)).as("%d vCPUs, %d gfns, state %d", vcpus, gfns, i).isEqualTo(in[i]);
          assertThat(store.parent(i)).isEqualTo(i - 1);
          assertThat(store.action(i)).isEqualTo(i);
        }
        assertThat(store.bytesPerState()).isEqualTo(8 * StateBits.packedWords(gfns, vcpus) + 8);
      }
    }
    // frames (4 gfns, 3 vCPUs): the packed store needs fewer words than the aligned layout (no field crosses a word
    // there, so each word keeps spare bits); the exact numbers follow the declared fields.
    assertThat(StateBits.packedWords(4, 3)).as("frames").isLessThan(StateBits.words(4, 3));
  }
}
