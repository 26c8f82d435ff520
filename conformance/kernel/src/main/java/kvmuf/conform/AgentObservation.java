package kvmuf.conform;

import java.util.List;
import kvmuf.kvm.Exit;
import kvmuf.kvm.UapiProfile;
import kvmuf.model.Observation;
import kvmuf.model.ValueClass;
import kvmuf.x86.guest.AgentResult;

/**
 * What a guest agent's access shows, in the model's terms: a completed read's value class ({@code read}, or
 * {@code kvm_read} for KVM's own read), a memory-fault exit, an MMIO exit (gpas relative to gfn 0 of the slot, as
 * the model's exits are), or another exit. One mapping for the deterministic target and the concurrent mode.
 */
public final class AgentObservation {
  private AgentObservation() {}

  /** The observation of {@code r}, an access of gfn {@code gfn} ({@code kvmRead}: KVM's own read). */
  public static Observation of(int gfn, boolean kvmRead, AgentResult r) {
    return switch (r) {
      case AgentResult.Value v -> {
        ValueClass value = Contents.classify(gfn, v.value());
        yield kvmRead ? new Observation.KvmRead(value) : new Observation.Read(value);
      }
      case AgentResult.Interrupted i -> switch (i.exit()) {
        case Exit.MemoryFault m -> new Observation.MemoryFaultExit(m.gpa() - KernelVm.BASE_GPA, m.size(),
            (m.flags() & UapiProfile.KVM_MEMORY_EXIT_FLAG_USERFAULT) != 0 ? List.of("USERFAULT") : List.of());
        // KVM names the address an MMIO access used; the model's access is to a page (the agent may read at an
        // offset in it, KernelVm.READ_OFFSET), so the page it fell in. A memory-fault exit names the page itself.
        case Exit.Mmio m -> new Observation.MmioExit((m.gpa() & -KernelVm.PAGE) - KernelVm.BASE_GPA, m.len(), m.isWrite());
        case Exit e -> new Observation.OtherExit(e.toString());
      };
    };
  }
}
