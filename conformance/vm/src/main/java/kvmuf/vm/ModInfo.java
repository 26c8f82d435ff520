package kvmuf.vm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Reads the {@code .modinfo} section of a kernel module (an ELF64 relocatable object): a run of
 * NUL-terminated {@code key=value} strings, the same data {@code modinfo(8)} prints.
 *
 * <p>Why: a Debian linux-image package ships no {@code modules.dep} (depmod writes it in the
 * package's postinst), so the kit reads each module's own {@code depends=} field instead of a
 * hard-coded list.
 */
public final class ModInfo {
  private ModInfo() {}

  /** The modules this one needs loaded first, by name ({@code depends=kvm} gives [kvm]). */
  public static List<String> depends(byte[] elf) {
    return value(elf, "depends")
        .map(v -> v.isEmpty() ? List.<String>of() : Arrays.asList(v.split(",")))
        .orElse(List.of());
  }

  /** The value of {@code key} in the module's .modinfo section. */
  public static Optional<String> value(byte[] elf, String key) {
    String prefix = key + "=";
    for (String field : fields(elf)) {
      if (field.startsWith(prefix)) {
        return Optional.of(field.substring(prefix.length()));
      }
    }
    return Optional.empty();
  }

  static List<String> fields(byte[] elf) {
    ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
    if (elf.length < 64 || b.getInt(0) != 0x464c457f || elf[4] != 2 || elf[5] != 1) {
      throw new IllegalArgumentException("not a little-endian ELF64 kernel module");
    }
    long shoff = b.getLong(0x28);
    int shentsize = Short.toUnsignedInt(b.getShort(0x3a));
    int shnum = Short.toUnsignedInt(b.getShort(0x3c));
    int shstrndx = Short.toUnsignedInt(b.getShort(0x3e));
    long strtab = b.getLong((int) (shoff + (long) shstrndx * shentsize) + 0x18);
    for (int i = 0; i < shnum; i++) {
      int sh = (int) (shoff + (long) i * shentsize);
      int nameOff = b.getInt(sh);
      if (cstring(elf, (int) (strtab + nameOff)).equals(".modinfo")) {
        int off = (int) b.getLong(sh + 0x18);
        int size = (int) b.getLong(sh + 0x20);
        List<String> out = new ArrayList<>();
        int start = off;
        for (int p = off; p < off + size; p++) {
          if (elf[p] == 0) {
            if (p > start) {
              out.add(new String(elf, start, p - start, StandardCharsets.UTF_8));
            }
            start = p + 1;
          }
        }
        return out;
      }
    }
    return List.of();
  }

  private static String cstring(byte[] b, int off) {
    int end = off;
    while (end < b.length && b[end] != 0) {
      end++;
    }
    return new String(b, off, end - off, StandardCharsets.UTF_8);
  }
}
