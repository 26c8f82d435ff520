package kvmuf.bench;

/**
 * What backs the guest's memory. anon faults are MISSING faults resolved with UFFDIO_COPY; shmem (a memfd whose
 * page cache is preallocated through a second mapping, as in the series' shmem runs) faults are MINOR faults
 * resolved with UFFDIO_CONTINUE.
 */
public enum Backing {
  ANON("anon", "MISSING"),
  SHMEM("shmem", "MINOR");

  private final String cliName;
  private final String uffdMode;

  Backing(String cliName, String uffdMode) {
    this.cliName = cliName;
    this.uffdMode = uffdMode;
  }

  public String cliName() {
    return cliName;
  }

  /** The userfaultfd registration mode, as demand_paging_test's -u names it. */
  public String uffdMode() {
    return uffdMode;
  }

  public static Backing parse(String s) {
    for (Backing b : values()) if (b.cliName.equals(s)) return b;
    throw new IllegalArgumentException("unknown backing '" + s + "' (known: anon, shmem)");
  }

  @Override
  public String toString() {
    return cliName;
  }
}
