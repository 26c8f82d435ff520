package kvmuf.conform.concurrent;

import java.time.Duration;
import java.util.Optional;
import kvmuf.uffd.UffdEvent;

/**
 * The userfaultfd calls of the uffd handler thread. The kernel's are {@link ConcurrentMachine}'s; a test
 * answers them itself to drive the paths a kernel rarely takes (EEXIST, a message that vanished).
 */
interface UffdCalls {
  /** Waits up to {@code d} until a message is readable (poll; made without the log lock: it may wait). */
  boolean awaitMessage(Duration d);

  /** One non-blocking read(): the next message, or empty when none is there (EAGAIN). */
  Optional<UffdEvent> read();

  /** The model gfn of a faulting address, or -1 when it is outside the model's gfns. */
  int gfnOf(long address);

  /** UFFDIO_COPY of gfn's fetched page: "ok", "EEXIST" or another errno name. */
  String copy(int gfn, boolean dontWake);

  /** UFFDIO_WAKE over gfn's page: "ok" or an errno name. */
  String wake(int gfn);
}
