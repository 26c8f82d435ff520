package kvmuf.x86.guest;

import kvmuf.kvm.Exit;

/** What one guest access produced: the value the guest saw, or the exit that stopped it first. */
public sealed interface AgentResult {
  /** The access completed; for a read the 32-bit value the guest loaded, for a write the value it stored. */
  record Value(int value) implements AgentResult {}

  /**
   * KVM returned to userspace before the access completed (MMIO, KVM_EXIT_MEMORY_FAULT, ...). The guest
   * is still at the access instruction: {@link GuestAgent#resume()} retries it.
   */
  record Interrupted(Exit exit) implements AgentResult {}
}
