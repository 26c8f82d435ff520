package kvmuf.uffd;

import java.util.ArrayList;
import java.util.List;

/** UFFD_FEATURE_* bits (include/uapi/linux/userfaultfd.h), for naming what UFFDIO_API granted. */
public enum UffdFeature {
  PAGEFAULT_FLAG_WP(0),
  EVENT_FORK(1),
  EVENT_REMAP(2),
  EVENT_REMOVE(3),
  MISSING_HUGETLBFS(4),
  MISSING_SHMEM(5),
  EVENT_UNMAP(6),
  SIGBUS(7),
  THREAD_ID(8),
  MINOR_HUGETLBFS(9),
  MINOR_SHMEM(10),
  EXACT_ADDRESS(11),
  WP_HUGETLBFS_SHMEM(12),
  WP_UNPOPULATED(13),
  POISON(14),
  WP_ASYNC(15),
  MOVE(16);

  private final int bit;

  UffdFeature(int bit) {
    this.bit = bit;
  }

  public long mask() {
    return 1L << bit;
  }

  /** "UFFD_FEATURE_THREAD_ID". */
  public String cName() {
    return "UFFD_FEATURE_" + name();
  }

  /** The C names of the set bits; unknown bits appear as "bit N". */
  public static List<String> names(long features) {
    List<String> out = new ArrayList<>();
    long known = 0;
    for (UffdFeature f : values()) {
      known |= f.mask();
      if ((features & f.mask()) != 0) out.add(f.cName());
    }
    long rest = features & ~known;
    for (int b = 0; b < 64; b++) if ((rest & (1L << b)) != 0) out.add("bit " + b);
    return out;
  }
}
