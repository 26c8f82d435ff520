package kvmuf.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import kvmuf.vm.SerialFraming.Console;
import kvmuf.vm.SerialFraming.Event;
import kvmuf.vm.SerialFraming.Exit;
import kvmuf.vm.SerialFraming.KernelRelease;
import kvmuf.vm.SerialFraming.Log;
import kvmuf.vm.SerialFraming.Output;
import org.junit.jupiter.api.Test;

class SerialFramingTest {
  static final String N = "kvmuf-00112233445566778899aabbccddeeff";

  private static List<Event> all(SerialFraming f, String... chunks) {
    List<Event> out = new ArrayList<>();
    for (String c : chunks) {
      out.addAll(f.feed(c));
    }
    out.addAll(f.finish());
    return out;
  }

  @Test
  void separatesFramedLinesFromKernelMessages() {
    String console = "[    0.000000] Linux version 6.12.117\r\n"
        + N + " K 6.12.117+deb12-cloud-amd64\r\n"
        + N + " L loaded kvm.ko\r\n"
        + "[    2.1] kvm_intel: VMX not supported by CPU 0\r\n"
        + N + " O {\"api\": 12}\r\n"
        + N + " E warning: x\r\n"
        + N + " O \r\n"
        + N + " X 0\r\n";
    assertThat(all(new SerialFraming(N), console)).containsExactly(
        new Console("[    0.000000] Linux version 6.12.117"),
        new KernelRelease("6.12.117+deb12-cloud-amd64"),
        new Log("loaded kvm.ko"),
        new Console("[    2.1] kvm_intel: VMX not supported by CPU 0"),
        new Output(false, "{\"api\": 12}"),
        new Output(true, "warning: x"),
        new Output(false, ""),
        new Exit(0));
  }

  @Test
  void chunkBoundariesAnywhereGiveTheSameEvents() {
    String console = "noise\n" + N + " O hello world\n" + N + " X 3\n";
    List<Event> whole = all(new SerialFraming(N), console);
    for (int cut = 0; cut <= console.length(); cut++) {
      assertThat(all(new SerialFraming(N), console.substring(0, cut), console.substring(cut)))
          .as("cut at %d", cut).isEqualTo(whole);
    }
    assertThat(whole).containsExactly(new Console("noise"), new Output(false, "hello world"), new Exit(3));
  }

  @Test
  void kernelTextInFrontOfAFrameIsConsoleOutput() {
    // A printk that landed at the start of the command's line, before the nonce.
    assertThat(all(new SerialFraming(N), "[ 5.0] random: crng init done" + N + " O data\n"))
        .containsExactly(new Console("[ 5.0] random: crng init done"), new Output(false, "data"));
  }

  @Test
  void aLineThatOnlyLooksFramedIsNot() {
    // Another nonce (a previous run's log replayed, say), a bad tag, a bad exit code.
    String other = "kvmuf-ffffffffffffffffffffffffffffffff";
    assertThat(all(new SerialFraming(N), other + " X 0\n", N + " Q x\n", N + " X 999\n", N + " X zero\n", N + " Xoops\n"))
        .allMatch(e -> e instanceof Console)
        .noneMatch(e -> e instanceof Exit);
  }

  @Test
  void aTrailerCutShortIsNotATrailer() {
    // QEMU died mid-line: "X 0" without its newline must not count as the exit code.
    List<Event> ev = all(new SerialFraming(N), N + " O out\n" + N + " X 0");
    assertThat(ev).containsExactly(new Output(false, "out"), new Console(N + " X 0"));
  }

  @Test
  void noncesAreFreshAndLongEnough() {
    assertThat(SerialFraming.newNonce()).isNotEqualTo(SerialFraming.newNonce()).hasSizeGreaterThan(30);
    assertThatThrownBy(() -> new SerialFraming("short")).isInstanceOf(IllegalArgumentException.class);
  }
}
