package kvmuf.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** MemoryFile's map / punch-hole / close, through a memfd (no KVM needed; guest_memfd shares the code). */
class MemfdTest {
  static final long PAGE = 4096;

  @Test
  void twoMappingsShareThePagesAndAPunchedHoleReadsAsZeros() {
    try (Memfd fd = Memfd.create("kvmuf-test", 4 * PAGE);
        Mapping a = fd.map();
        Mapping b = fd.map()) {
      assertThat(fd.size()).isEqualTo(4 * PAGE);
      assertThat(a.length()).isEqualTo(4 * PAGE);
      assertThat(a.address()).isNotEqualTo(b.address());
      a.segment().set(ValueLayout.JAVA_INT, PAGE, 0x1234);
      a.segment().set(ValueLayout.JAVA_INT, 2 * PAGE, 0x5678);
      assertThat(b.segment().get(ValueLayout.JAVA_INT, PAGE)).isEqualTo(0x1234);
      fd.punchHole(PAGE, PAGE);
      assertThat(b.segment().get(ValueLayout.JAVA_INT, PAGE)).as("punched").isZero();
      assertThat(b.segment().get(ValueLayout.JAVA_INT, 2 * PAGE)).as("outside the hole").isEqualTo(0x5678);
    }
  }

  @Test
  void closeEndsTheFdButNotTheMappingsMadeFromIt() {
    Memfd fd = Memfd.create("kvmuf-test", PAGE);
    try (Mapping m = fd.map()) {
      fd.close();
      fd.close(); // a second close does nothing
      assertThatThrownBy(fd::fd).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
      m.segment().set(ValueLayout.JAVA_INT, 0, 7);
      assertThat(m.segment().get(ValueLayout.JAVA_INT, 0)).isEqualTo(7);
    }
  }
}
