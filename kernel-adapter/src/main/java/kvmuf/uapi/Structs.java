package kvmuf.uapi;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;

/** Field offsets of the UAPI layouts, by their C field names. */
public final class Structs {
  private Structs() {}

  /** Byte offset of a (possibly nested) field: {@code offset(KvmUapi.RUN, "exit", "io", "port")}. */
  public static long offset(MemoryLayout layout, String... path) {
    PathElement[] p = new PathElement[path.length];
    for (int i = 0; i < path.length; i++) p[i] = PathElement.groupElement(path[i]);
    return layout.byteOffset(p);
  }
}
