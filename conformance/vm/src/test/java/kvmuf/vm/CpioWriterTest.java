package kvmuf.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpioWriterTest {
  /** One parsed newc entry. */
  record Entry(String name, int mode, int nlink, int rdevMajor, int rdevMinor, byte[] data) {}

  /** An independent newc reader: what the kernel's unpacker does, minus the file creation. */
  static List<Entry> parse(byte[] a) {
    List<Entry> out = new ArrayList<>();
    int p = 0;
    while (true) {
      assertThat(p % 4).as("header alignment").isZero();
      String h = new String(a, p, 110, StandardCharsets.US_ASCII);
      assertThat(h).startsWith("070701");
      int[] f = new int[13];
      for (int i = 0; i < 13; i++) {
        f[i] = (int) Long.parseLong(h.substring(6 + 8 * i, 14 + 8 * i), 16);
      }
      int namesize = f[11];
      String name = new String(a, p + 110, namesize - 1, StandardCharsets.UTF_8);
      assertThat(a[p + 110 + namesize - 1]).as("name NUL").isZero();
      int data = align(p + 110 + namesize);
      int size = f[6];
      byte[] body = java.util.Arrays.copyOfRange(a, data, data + size);
      p = align(data + size);
      if (name.equals("TRAILER!!!")) {
        assertThat(p).as("archive ends after the trailer").isEqualTo(a.length);
        return out;
      }
      out.add(new Entry(name, f[1], f[4], f[9], f[10], body));
    }
  }

  private static int align(int x) {
    return (x + 3) & ~3;
  }

  @Test
  void parsesBackEveryKindOfEntry(@TempDir Path tmp) throws Exception {
    Path src = Files.write(tmp.resolve("src"), "hello, world\n".getBytes(StandardCharsets.UTF_8));
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (CpioWriter w = new CpioWriter(b)) {
      w.directory("bin", 0755);
      w.file("bin/x", 0755, new byte[] {1, 2, 3}); // odd sizes exercise the padding
      w.file("etc-file", 0644, src);
      w.symlink("bin/sh", "busybox");
      w.charDevice("dev/console", 0600, 5, 1);
      w.file("empty", 0644, new byte[0]);
    }
    List<Entry> e = parse(b.toByteArray());
    assertThat(e).extracting(Entry::name)
        .containsExactly("bin", "bin/x", "etc-file", "bin/sh", "dev/console", "empty");
    assertThat(e.get(0).mode()).isEqualTo(0040755);
    assertThat(e.get(0).nlink()).isEqualTo(2);
    assertThat(e.get(1).mode()).isEqualTo(0100755);
    assertThat(e.get(1).data()).containsExactly(1, 2, 3);
    assertThat(new String(e.get(2).data(), StandardCharsets.UTF_8)).isEqualTo("hello, world\n");
    assertThat(e.get(3).mode()).isEqualTo(0120777);
    assertThat(new String(e.get(3).data(), StandardCharsets.UTF_8)).isEqualTo("busybox");
    assertThat(e.get(4).mode()).isEqualTo(0020600);
    assertThat(e.get(4).rdevMajor()).isEqualTo(5);
    assertThat(e.get(4).rdevMinor()).isEqualTo(1);
    assertThat(e.get(5).data()).isEmpty();
  }

  @Test
  void sameInputsGiveTheSameBytes() throws Exception {
    assertThat(archive()).isEqualTo(archive());
  }

  private static byte[] archive() throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (CpioWriter w = new CpioWriter(b)) {
      w.file("a", 0644, "x".getBytes(StandardCharsets.UTF_8));
    }
    return b.toByteArray();
  }

  @Test
  void rejectsAbsoluteNames() {
    assertThatThrownBy(() -> new CpioWriter(new ByteArrayOutputStream()).file("/init", 0755, new byte[0]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void perRunArchiveQuotesEveryArgumentForSh() throws Exception {
    byte[] a = InitramfsBuilder.perRunArchive("kvmuf-0123456789abcdef", List.of("/jre/bin/java", "it's", "$HOME", "a b"));
    List<Entry> e = parse(a);
    assertThat(e).extracting(Entry::name).containsExactly("run", "run/kvmuf", "run/kvmuf/run.sh");
    assertThat(new String(e.get(2).data(), StandardCharsets.UTF_8)).isEqualTo(
        "NONCE='kvmuf-0123456789abcdef'\nkvmuf_command() { '/jre/bin/java' 'it'\\''s' '$HOME' 'a b'; }\n");
  }
}
