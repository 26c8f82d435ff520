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
 *   <li>{@code pc[v] = "uffd_wait"}: {@link UffdBlocked}; {@code pc[v] = "apf"}: {@link AsyncPf}</li>
 *   <li>{@code pc[v] = "idle"} with {@code budget[v]} unchanged after a fault: {@link Retry}</li>
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
    SRCU_WAIT("srcu_wait");

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
   * The fault did not complete: an invalidation raced with it (mmu_invalidate_seq retry) or the
   * async PF completed; the guest re-executes the access.
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

  /**
   * The kinds a config can produce at all (statically, from its constants): async_pf needs kernel
   * async PF; uffd_* kinds and srcu_wait need userfaultfd (nothing else sleeps in the fault path);
   * memory_fault_exit needs USERFAULT in use; kvm_read needs KVM's own accesses; retry needs an
   * invalidation or async PF.
   */
  static Set<Kind> possibleKinds(Config c) {
    Set<Kind> kinds = EnumSet.of(Kind.READ, Kind.IOCTL, Kind.DONE);
    boolean uffd = c.uffdMode() != Config.UffdMode.NONE;
    if (c.kvmAccesses()) {
      kinds.add(Kind.KVM_READ);
    }
    if (c.userfaultUse() != Config.UserfaultUse.NONE) {
      kinds.add(Kind.MEMORY_FAULT_EXIT);
    }
    if (uffd) {
      kinds.add(Kind.UFFD_EVENT);
      if (c.asyncPf() == Config.AsyncPf.OFF || c.kvmAccesses()) {
        kinds.add(Kind.UFFD_BLOCKED);
      }
      if (c.userfaultUse() != Config.UserfaultUse.NONE || c.dirtyLog()) {
        kinds.add(Kind.SRCU_WAIT);
      }
      if (c.asyncPf() == Config.AsyncPf.KERNEL) {
        kinds.add(Kind.ASYNC_PF);
      }
      if (c.maxInvalidate() > 0 || c.asyncPf() == Config.AsyncPf.KERNEL) {
        kinds.add(Kind.RETRY);
      }
    }
    return kinds;
  }
}
