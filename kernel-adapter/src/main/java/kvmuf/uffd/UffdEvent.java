package kvmuf.uffd;

/** A message read from a userfaultfd (struct uffd_msg). */
public sealed interface UffdEvent {
  int UFFD_EVENT_PAGEFAULT = 0x12;
  long UFFD_PAGEFAULT_FLAG_WRITE = 1L << 0;
  long UFFD_PAGEFAULT_FLAG_WP = 1L << 1;
  long UFFD_PAGEFAULT_FLAG_MINOR = 1L << 2;

  /**
   * A thread faulted on a registered range. {@code address} is page-aligned unless
   * UFFD_FEATURE_EXACT_ADDRESS was enabled; {@code threadId} is the faulting thread's tid when
   * UFFD_FEATURE_THREAD_ID was enabled, else 0.
   */
  record Pagefault(long flags, long address, int threadId) implements UffdEvent {
    public boolean isWrite() {
      return (flags & UFFD_PAGEFAULT_FLAG_WRITE) != 0;
    }

    public boolean isMinor() {
      return (flags & UFFD_PAGEFAULT_FLAG_MINOR) != 0;
    }

    public boolean isWriteProtect() {
      return (flags & UFFD_PAGEFAULT_FLAG_WP) != 0;
    }

    public long pageAddress() {
      return address & ~4095L;
    }
  }

  /** Any non-pagefault event (fork, remap, remove, unmap), with the raw event code. */
  record Other(int event) implements UffdEvent {}
}
