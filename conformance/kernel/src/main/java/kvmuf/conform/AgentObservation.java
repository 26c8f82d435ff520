package kvmuf.conform;

import java.util.List;
import kvmuf.kvm.Exit;
import kvmuf.model.Observation;
import kvmuf.model.ValueClass;
import kvmuf.sys.Errno;
import kvmuf.sys.SyscallException;
import kvmuf.x86.guest.AgentResult;

/**
 * What a guest agent's access shows, in the model's terms: a completed read's value class ({@code read}, or
 * {@code kvm_read} for KVM's own read), a memory-fault exit, an MMIO exit (gpas relative to gfn 0 of the slot, as
 * the model's exits are), or another exit. One mapping for the deterministic target and the concurrent mode.
 */
public final class AgentObservation {
  private AgentObservation() {}

  /** The detail of an {@code other_exit} for a KVM_RUN that failed with an errno, followed by the errno's name. */
  public static final String KVM_RUN_FAILED = "KVM_RUN failed: ";

  /**
   * A KVM_RUN that failed without an exit: a bare errno (e.g. -EFAULT on an unreadable userfault bitmap, R12),
   * shown as {@code other_exit} "KVM_RUN failed: EFAULT" (the errno's name only, so that a rule can state the
   * UAPI's documented result; the model never allows it).
   */
  public static Observation failed(RuntimeException e) {
    Throwable t = e.getCause() != null ? e.getCause() : e;
    return new Observation.OtherExit(KVM_RUN_FAILED + (t instanceof SyscallException se ? se.errnoName().name() : t.getMessage()));
  }

  /** What a bare {@code errno} from KVM_RUN shows ({@link #failed}). */
  public static Observation failed(Errno errno) {
    return new Observation.OtherExit(KVM_RUN_FAILED + errno.name());
  }

  /** The observation of {@code r}, an access of gfn {@code gfn} ({@code kvmRead}: KVM's own read). */
  public static Observation of(int gfn, boolean kvmRead, AgentResult r) {
    return switch (r) {
      case AgentResult.Value v -> {
        ValueClass value = Contents.classify(gfn, v.value());
        yield kvmRead ? new Observation.KvmRead(value) : new Observation.Read(value);
      }
      case AgentResult.Interrupted i -> switch (i.exit()) {
        case Exit.MemoryFault m -> new Observation.MemoryFaultExit(m.gpa() - KernelVm.BASE_GPA, m.size(),
            exitFlagNames(m));
        // KVM names the address an MMIO access used; the model's access is to a page (the agent may read at an
        // offset in it, KernelVm.READ_OFFSET), so the page it fell in. A memory-fault exit names the page itself.
        case Exit.Mmio m -> new Observation.MmioExit((m.gpa() & -KernelVm.PAGE) - KernelVm.BASE_GPA, m.len(), m.isWrite());
        case Exit e -> new Observation.OtherExit(e.toString());
      };
    };
  }

  /** memory_fault.flags as the model names them: USERFAULT, then PRIVATE (a private gfn's fault). */
  static List<String> exitFlagNames(Exit.MemoryFault m) {
    List<String> names = new java.util.ArrayList<>(2);
    if (m.isUserfault()) {
      names.add("USERFAULT");
    }
    if (m.isPrivate()) {
      names.add("PRIVATE");
    }
    return List.copyOf(names);
  }
}
