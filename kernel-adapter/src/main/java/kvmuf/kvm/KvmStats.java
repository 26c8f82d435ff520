package kvmuf.kvm;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.OptionalLong;
import kvmuf.sys.Libc;
import kvmuf.sys.OwnedFd;
import kvmuf.uapi.KvmUapi;

/**
 * A KVM binary stats fd (KVM_GET_STATS_FD, Documentation/virt/kvm/api.rst "KVM_GET_STATS_FD"): a header,
 * an id string, descriptors (name, type, size, offset) and a data block of u64 values. The descriptors
 * are read once; values are re-read on every {@link #read} with pread, which is how the kit sees x86's
 * page-size counters (pages_4k, pages_2m, pages_1g) move.
 */
public final class KvmStats implements AutoCloseable {
  /** One statistic: {@code size} u64 values at {@code offset} in the data block. */
  public record Descriptor(String name, int flags, int exponent, int size, int offset, int bucketSize) {}

  private final OwnedFd fd;
  private final String id;
  private final int dataOffset;
  private final Map<String, Descriptor> descriptors;

  private KvmStats(OwnedFd fd, String id, int dataOffset, Map<String, Descriptor> descriptors) {
    this.fd = fd;
    this.id = id;
    this.dataOffset = dataOffset;
    this.descriptors = descriptors;
  }

  static KvmStats open(OwnedFd fd) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment h = a.allocate(KvmUapi.STATS_HEADER);
      Libc.pread(fd.get(), h, h.byteSize(), 0);
      int nameSize = h.get(JAVA_INT, 4);
      int numDesc = h.get(JAVA_INT, 8);
      int idOffset = h.get(JAVA_INT, 12);
      int descOffset = h.get(JAVA_INT, 16);
      int dataOffset = h.get(JAVA_INT, 20);
      MemorySegment idBuf = a.allocate(nameSize + 1L);
      Libc.pread(fd.get(), idBuf, nameSize, idOffset);
      long descSize = KvmUapi.STATS_DESC.byteSize() + nameSize;
      MemorySegment d = a.allocate(descSize * numDesc + 1, 8);
      Libc.pread(fd.get(), d, descSize * numDesc, descOffset);
      Map<String, Descriptor> m = new LinkedHashMap<>();
      for (int i = 0; i < numDesc; i++) {
        MemorySegment x = d.asSlice(i * descSize, descSize);
        String name = x.asSlice(16, nameSize).getString(0);
        m.put(
            name,
            new Descriptor(
                name,
                x.get(JAVA_INT, 0),
                x.get(JAVA_SHORT, 4),
                Short.toUnsignedInt(x.get(JAVA_SHORT, 6)),
                x.get(JAVA_INT, 8),
                x.get(JAVA_INT, 12)));
      }
      return new KvmStats(fd, idBuf.getString(0), dataOffset, Collections.unmodifiableMap(m));
    } catch (RuntimeException e) {
      fd.close();
      throw e;
    }
  }

  /** The id string, e.g. "kvm-1234". */
  public String id() {
    return id;
  }

  public Map<String, Descriptor> descriptors() {
    return descriptors;
  }

  /** The current first value of a statistic; throws NoSuchElementException naming what exists. */
  public long read(String name) {
    return find(name)
        .orElseThrow(() -> new NoSuchElementException("no KVM stat '" + name + "'; have " + descriptors.keySet()));
  }

  public OptionalLong find(String name) {
    Descriptor d = descriptors.get(name);
    if (d == null) return OptionalLong.empty();
    try (Arena a = Arena.ofConfined()) {
      MemorySegment v = a.allocate(JAVA_LONG);
      Libc.pread(fd.get(), v, 8, dataOffset + (long) d.offset());
      return OptionalLong.of(v.get(JAVA_LONG, 0));
    }
  }

  /** Every statistic whose name starts with {@code prefix}, e.g. "pages_". */
  public Map<String, Long> readAll(String prefix) {
    Map<String, Long> out = new LinkedHashMap<>();
    for (String n : descriptors.keySet()) if (n.startsWith(prefix)) out.put(n, read(n));
    return out;
  }

  @Override
  public void close() {
    fd.close();
  }
}
