package kvmuf.model;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What one actor sees of an API-level step from outside the kernel: the return of its call. The
 * model never stores observations; {@link Observations} derives them from the states before and
 * after a step, so the spec and the Java model stay the single source of truth.
 *
 * <p>Mapping from spec variables (see {@link Observations} for the rules):
 * <ul>
 *   <li>{@code lastRead[v]} / {@code lastKvmRead[v]} with {@code budget[v]} decremented: {@link Read} /
 *       {@link KvmRead} (the guest agent reports the value class of what it read)</li>
 *   <li>{@code pc[v]} in ExitStages with {@code exitFlags[v]}: {@link MemoryFaultExit} (KVM_RUN returns
 *       -EFAULT with exit_reason KVM_EXIT_MEMORY_FAULT, gpa = gfn * 4096, size = 4096)</li>
 *   <li>{@code pc[v] = "uffd_waiting"}: {@link UffdBlocked}; {@code pc[v] = "apf_pending"}: {@link AsyncPf}</li>
 *   <li>{@code pc[v] = "idle"} with {@code budget[v]} unchanged after an async PF: {@link Retry}</li>
 *   <li>{@code present[g]} before UFFDIO_COPY/CONTINUE: {@link Ioctl} with EEXIST, else ok</li>
 *   <li>{@code uffdQueue} read by the reader: {@link UffdEvent}</li>
 *   <li>{@code memslotOp} still pending after the step: {@link SrcuWait}</li>
 * </ul>
 */
public sealed interface Observation {
  long PAGE_SIZE = 4096;

  /** The observation's kind, as the trace format writes it. */
  Kind kind();

  /** The kinds of observation, with the names the trace format uses. */
  enum Kind {
    READ("read"),
    KVM_READ("kvm_read"),
    MEMORY_FAULT_EXIT("memory_fault_exit"),
    UFFD_BLOCKED("uffd_blocked"),
    ASYNC_PF("async_pf"),
    RETRY("retry"),
    IOCTL("ioctl"),
    UFFD_EVENT("uffd_event"),
    DONE("done"),
    SRCU_WAIT("srcu_wait"),
    MMIO_EXIT("mmio_exit"),
    OTHER_EXIT("other_exit"),
    NO_PROGRESS("no_progress"),
    NO_MESSAGE("no_message"),
    KERNEL_WARNINGS("kernel_warnings");

    public final String id;

    Kind(String id) {
      this.id = id;
    }

    public static Kind byId(String id) {
      for (Kind k : values()) {
        if (k.id.equals(id)) {
          return k;
        }
      }
      return null;
    }
  }

  /**
   * Compact text for reports, in the trace format's kind names: {@code read(fetched)},
   * {@code memory_fault_exit(gpa 0x1000, size 4096, USERFAULT)}, {@code uffd_blocked(g1)}, {@code ioctl(EEXIST)}.
   */
  default String show() {
    return switch (this) {
      case Read r -> "read(" + r.value().tla + ")";
      case KvmRead r -> "kvm_read(" + r.value().tla + ")";
      case MemoryFaultExit e -> "memory_fault_exit(gpa 0x" + Long.toHexString(e.gpa()) + ", size " + e.size()
          + (e.flags().isEmpty() ? "" : ", " + String.join("|", e.flags())) + ")";
      case UffdBlocked b -> "uffd_blocked(g" + b.address() / PAGE_SIZE + ")";
      case AsyncPf b -> "async_pf(g" + b.address() / PAGE_SIZE + ")";
      case Ioctl i -> "ioctl(" + i.result() + ")";
      case UffdEvent e -> "uffd_event(g" + e.address() / PAGE_SIZE + (e.flags().isEmpty() ? "" : ", " + String.join("|", e.flags())) + ")";
      case MmioExit m -> "mmio_exit(gpa 0x" + Long.toHexString(m.gpa()) + ", len " + m.len() + (m.write() ? ", write)" : ", read)");
      case OtherExit x -> "other_exit(" + x.detail() + ")";
      case NoProgress x -> "no_progress(" + x.detail() + ")";
      case KernelWarnings k -> "kernel_warnings(" + k.count() + (k.first().isEmpty() ? "" : ", first: " + k.first()) + ")";
      default -> kind().id;
    };
  }

  /** The guest's access completed; the guest agent saw a value of this class. */
  record Read(ValueClass value) implements Observation {
    public Kind kind() { return Kind.READ; }
  }

  /** KVM's own access (emulation, PV clock) completed with a value of this class. */
  record KvmRead(ValueClass value) implements Observation {
    public Kind kind() { return Kind.KVM_READ; }
  }

  /** KVM_RUN returned -EFAULT with a KVM_EXIT_MEMORY_FAULT: gpa, size and memory_fault.flags. */
  record MemoryFaultExit(long gpa, long size, List<String> flags) implements Observation {
    public MemoryFaultExit {
      flags = List.copyOf(flags);
    }
    public Kind kind() { return Kind.MEMORY_FAULT_EXIT; }
  }

  /**
   * The vCPU sleeps in handle_userfault(): its call does not return, a uffd fault message for
   * {@code address} (offset of the page in the memslot's backing) becomes readable.
   */
  record UffdBlocked(long address) implements Observation {
    public Kind kind() { return Kind.UFFD_BLOCKED; }
  }

  /** Kernel async PF took over the wait for {@code address}; the guest runs other work. */
  record AsyncPf(long address) implements Observation {
    public Kind kind() { return Kind.ASYNC_PF; }
  }

  /**
   * The async PF completed (page-ready): the guest re-executes the access. A fault that KVM retries
   * itself (mmu_invalidate_seq, an obsolete root) shows no Retry: it faults again inside KVM_RUN.
   */
  record Retry() implements Observation {
    public Kind kind() { return Kind.RETRY; }
  }

  /** A system call returned: "ok" or an errno name (EEXIST from UFFDIO_COPY / CONTINUE). */
  record Ioctl(String result) implements Observation {
    public Kind kind() { return Kind.IOCTL; }
  }

  /** read() on the userfaultfd returned a fault message for {@code address} with these flags. */
  record UffdEvent(long address, List<String> flags) implements Observation {
    public UffdEvent {
      flags = List.copyOf(flags);
    }
    public Kind kind() { return Kind.UFFD_EVENT; }
  }

  /** A plain memory store (a bitmap bit) or a call with nothing to return (KVM_RUN re-entered). */
  record Done() implements Observation {
    public Kind kind() { return Kind.DONE; }
  }

  /**
   * A flags-only KVM_SET_USER_MEMORY_REGION2 swapped the slot in but waits in synchronize_srcu()
   * for an SRCU reader (a vCPU asleep in the fault path); it returns when that reader finishes.
   */
  record SrcuWait() implements Observation {
    public Kind kind() { return Kind.SRCU_WAIT; }
  }

  // What a kernel can show that the model never does (one memslot, no MMIO, no kernel log): a kernel target
  // reports them in these terms, so a replay that meets one reports a divergence naming what the kernel did,
  // and the named rules' UAPI expectations (an MMIO exit, the kernel log) use the same type.

  /** KVM_RUN ended with KVM_EXIT_MMIO: the access hit no memslot ({@code gpa} relative to the model slot's base, as for exits). */
  record MmioExit(long gpa, int len, boolean write) implements Observation {
    public Kind kind() { return Kind.MMIO_EXIT; }
  }

  /** Any other end of a call the model has no word for: another exit, a failed KVM_RUN, a step the target refused. */
  record OtherExit(String detail) implements Observation {
    public Kind kind() { return Kind.OTHER_EXIT; }
  }

  /** The call made no progress within the target's hung-kernel timeout (a hung kernel, never a decision). */
  record NoProgress(String detail) implements Observation {
    public Kind kind() { return Kind.NO_PROGRESS; }
  }

  /** read() on the userfaultfd found no message where the model expects one. */
  record NoMessage() implements Observation {
    public Kind kind() { return Kind.NO_MESSAGE; }
  }

  /** WARN records the kernel logged since the target's previous read of the log; {@code first} is the first one's text. */
  record KernelWarnings(long count, String first) implements Observation {
    public Kind kind() { return Kind.KERNEL_WARNINGS; }
  }

  /**
   * The kinds a config can produce at all, decided from its constants (a static
   * over-approximation, documented rule by rule; coverage reports measure against it):
   * <ul>
   *   <li>userfaultfd is reachable whenever it is registered (even with every bit set from the start,
   *       the VMM may disable USERFAULT with bits still set, and faults then reach GUP);</li>
   *   <li>a vCPU sleeps in userfaultfd (uffd_blocked) when it is reachable and either async PF is
   *       off or KVM makes its own accesses (those never go to async PF);</li>
   *   <li>srcu_wait needs such a sleeper and a memslot update (USERFAULT in use or dirty logging);</li>
   *   <li>async_pf and retry need kernel async PF; memory_fault_exit
   *       and done (bitmap stores, the exit handler) need USERFAULT in use; kvm_read KVM's own
   *       accesses; ioctl some syscall to return.</li>
   * </ul>
   */
  static Set<Kind> possibleKinds(Config c) {
    Set<Kind> kinds = EnumSet.of(Kind.READ);
    boolean uf = c.userfaultUse() != Config.UserfaultUse.NONE;
    boolean uffd = uffdReachable(c);
    boolean sleeper = uffd && (c.asyncPf() == Config.AsyncPf.OFF || c.kvmAccesses());
    if (uf) {
      kinds.add(Kind.DONE);
      kinds.add(Kind.MEMORY_FAULT_EXIT);
    }
    if (uffd || uf || c.dirtyLog() || c.maxInvalidate() > 0) {
      kinds.add(Kind.IOCTL);
    }
    if (c.kvmAccesses()) {
      kinds.add(Kind.KVM_READ);
    }
    if (uffd) {
      kinds.add(Kind.UFFD_EVENT);
      if (c.asyncPf() == Config.AsyncPf.KERNEL) {
        kinds.add(Kind.ASYNC_PF);
      }
      if (c.asyncPf() == Config.AsyncPf.KERNEL) {
        kinds.add(Kind.RETRY);
      }
    }
    if (sleeper) {
      kinds.add(Kind.UFFD_BLOCKED);
      if (uf || c.dirtyLog()) {
        kinds.add(Kind.SRCU_WAIT);
      }
    }
    // model-b: GuestWork shows done; a remote accessor reads or sleeps in userfaultfd; a DELETE / MOVE is an
    // ioctl that waits for a sleeper's SRCU read side, and an access after a DELETE is an MMIO exit
    if (uffd && c.asyncPf() == Config.AsyncPf.KERNEL) {
      kinds.add(Kind.DONE);
    }
    if (c.remoteAccessor() == Config.RemoteAccessor.UFFD) {
      kinds.add(Kind.UFFD_BLOCKED);
    }
    if (c.slotChanges() != Config.SlotChanges.NONE) {
      kinds.add(Kind.IOCTL);
      if (sleeper) {
        kinds.add(Kind.SRCU_WAIT);
      }
      if (c.slotChanges() == Config.SlotChanges.DELETE) {
        kinds.add(Kind.MMIO_EXIT);
      }
    }
    return kinds;
  }

  /** Whether a fault can reach userfaultfd at all in this config (see {@link #possibleKinds}). */
  static boolean uffdReachable(Config c) {
    // every bit set from the start no longer keeps faults from GUP: with userfaultfd the VMM may disable
    // USERFAULT with bits still set (an abort, or R5's re-arm), and faults then reach userfaultfd
    return c.uffdMode() != Config.UffdMode.NONE;
  }
}
