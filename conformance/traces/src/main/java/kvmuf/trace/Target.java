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
 * not be reported as passed (DESIGN section 5): it answers empty from {@link #step} and names the
 * reason in {@link #unsupported}; the replayer then stops that trace there and counts it as
 * unsupported at that step (the steps before it ran and were compared). A target that cannot read
 * the stage-2 mapping counts reports {@link #PAGES_NOT_OBSERVED} in both page fields: the replayer
 * then compares the rest of the observation only and counts the step's pages as unchecked.
 */
public interface Target extends AutoCloseable {
  /** pages_4k / pages_2m value meaning "this target did not observe the mapping counts". */
  int PAGES_NOT_OBSERVED = -1;

  /** The name users type after --target. */
  String name();

  /** Starts a fresh system for one trace (a new VM, memslot, userfaultfd; or the model's Init). */
  void start(TraceHeader header);

  /**
   * Performs one API-level step and returns what it showed; empty when this target cannot perform
   * the action in its current state (the model: the action is not enabled).
   */
  Optional<StepObservation> step(Action action);

  /**
   * Why the last {@link #step} answered empty when the reason is that this target cannot run the
   * step (a missing capability, a setup the target cannot build); empty when the step was simply not
   * enabled. Only meaningful right after a step that answered empty.
   */
  default Optional<String> unsupported() {
    return Optional.empty();
  }

  @Override
  default void close() {}
}
