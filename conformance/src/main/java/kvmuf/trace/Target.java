package kvmuf.trace;

import java.util.Optional;
import kvmuf.model.Action;
import kvmuf.model.StepObservation;

/**
 * A system a trace is replayed on: the model itself, or (later) a kernel through the adapter.
 * Replay is deterministic: {@link #step} performs one API-level step and returns once the actor's
 * result is observable (vCPUs run one at a time until their next exit, block, or completed access).
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
