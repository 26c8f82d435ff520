package kvmuf.conform.concurrent;

/** How the uffd handler resolves a page-fault message (drawn per gfn by the workload's seed). */
public enum Resolution {
  /** UFFDIO_COPY, which wakes the faulting threads itself. */
  COPY("UFFDIO_COPY"),
  /**
   * UFFDIO_COPY with UFFDIO_COPY_MODE_DONTWAKE, then UFFDIO_WAKE: the page is installed first and the sleepers
   * woken by a second call. The model has one action for install-and-wake, so both calls are made under the log
   * lock and logged as one {@code UffdInstall} line.
   */
  COPY_DONTWAKE_THEN_WAKE("UFFDIO_COPY(DONTWAKE)+UFFDIO_WAKE");

  public final String calls;

  Resolution(String calls) {
    this.calls = calls;
  }
}
