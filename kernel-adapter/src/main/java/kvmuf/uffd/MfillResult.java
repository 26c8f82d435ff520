package kvmuf.uffd;

/**
 * The outcome of a page-filling ioctl (UFFDIO_COPY, UFFDIO_ZEROPAGE, UFFDIO_CONTINUE). EEXIST and EAGAIN
 * are protocol results the model reasons about (R2: after EEXIST the kernel wakes nobody), so they are
 * values here, not exceptions.
 */
public sealed interface MfillResult {
  /** The range was filled; {@code bytes} is what the kernel reports (copy / zeropage / mapped). */
  record Done(long bytes) implements MfillResult {}

  /** EEXIST: a page is already there. The kernel did not wake any waiter: UFFDIO_WAKE is the caller's job. */
  record Exists() implements MfillResult {}

  /** EAGAIN: the address space changed under the call; {@code bytesDone} were filled before it stopped. */
  record Retry(long bytesDone) implements MfillResult {}
}
