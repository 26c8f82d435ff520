package kvmuf.trace;

import java.util.Optional;
import kvmuf.model.Action;
import kvmuf.model.StepObservation;

/**
 * A system a trace is replayed on: the model itself, or (later) a kernel through the adapter.
 * Replay is deterministic: {@link #step} performs one API-level step and returns once the actor's
 * result is observable (vCPUs run one at a time until their next exit, block, or completed access).
 *
 * <p>A kernel target (issue 7's {@code kvmuf.conform.KernelTarget}) plugs in by mapping each action
 * to its kernel step ({@code kvmuf.conform.Steps.of}; {@code Install} and {@code ClearBit} act on the
 * gfn of the vCPU's last {@code memory_fault_exit}, gpa / 4096) and its result to a
 * {@link StepObservation}: a completed read's value class, the memory_fault exit (flags bit
 * {@code KVM_MEMORY_EXIT_FLAG_USERFAULT} as {@code "USERFAULT"}), a vCPU asleep in userfaultfd as
 * {@code uffd_blocked} at gfn * 4096, ioctl results with the vCPUs they woke as {@code unblocked},
 * uffd messages (MINOR flag), and the pages_4k / pages_2m stats. A step the kernel cannot run must
 * not be reported as passed (DESIGN section 5).
 */
public interface Target extends AutoCloseable {
  /** The name users type after --target. */
  String name();

  /** Starts a fresh system for one trace (a new VM, memslot, userfaultfd; or the model's Init). */
  void start(TraceHeader header);

  /**
   * Performs one API-level step and returns what it showed; empty when this target cannot perform
   * the action in its current state (the model: the action is not enabled).
   */
  Optional<StepObservation> step(Action action);

  @Override
  default void close() {}
}
