package kvmuf.conform;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;
import kvmuf.model.ValueClass;

/**
 * What one step shows outside the kernel, in the terms the model predicts (DESIGN section 4): the value
 * class a guest read saw, an exit with its fields, the vCPU blocked in userfaultfd (seen as a uffd message on
 * the handler side), an ioctl's result and which blocked vCPUs it released, a uffd message, mapping counts.
 * Records, so an expectation is an observation and "as expected" is {@code equals}.
 */
public sealed interface Observation {
  /** A guest read completed: {@code fetched} (the bytes the VMM installed), {@code zero}, or {@code stale} (anything else). */
  record Value(ValueClass value) implements Observation {}

  /** KVM_RUN ended with KVM_EXIT_MEMORY_FAULT (-EFAULT): kvm_run.memory_fault's fields. */
  record MemoryFault(long gpa, long size, long flags) implements Observation {}

  /** KVM_RUN ended with KVM_EXIT_MMIO: the access hit no memslot. */
  record Mmio(long gpa, int len, boolean write) implements Observation {}

  /** Any other exit (name and number), e.g. a shutdown or an internal error. */
  record OtherExit(String exit) implements Observation {}

  /** The vCPU's access sleeps in userfaultfd: the handler read a page-fault message from that vCPU for {@code gfn}. */
  record Blocked(int gfn) implements Observation {}

  /** The access neither completed nor produced a uffd message within the target's patience. */
  record NoProgress(String detail) implements Observation {}

  /**
   * An ioctl or syscall's result ({@code ok} or the errno name) and what each vCPU that was blocked in
   * userfaultfd did within the target's patience afterwards (absent: still asleep).
   */
  record Ioctl(String call, String result, SortedMap<Integer, Observation> woken) implements Observation {
    public Ioctl {
      woken = new TreeMap<>(woken);
    }

    public static Ioctl of(String call, String result) {
      return new Ioctl(call, result, new TreeMap<>());
    }
  }

  /**
   * A step with nothing to return: {@code ResumeVcpu}, the exit handler letting its vCPU go on (the model's
   * {@code done}); the vCPU's next Access re-enters KVM_RUN.
   */
  record Done() implements Observation {}

  /** A page-fault message read from the userfaultfd: the gfn of its address, MINOR or not. */
  record UffdMessage(int gfn, boolean minor) implements Observation {}

  /** read() on the userfaultfd found nothing within the target's patience. */
  record NoMessage() implements Observation {}

  /** KVM stats of the VM: stage-2 mappings by size. */
  record Mappings(long pages4k, long pages2m) implements Observation {}

  /** The 2 MiB part of {@link Mappings}: what the model's huge frames predict (it does not count 4K entries). */
  record HugeMappings(long pages2m) implements Observation {}

  /** WARN records the kernel logged since the VM was made; {@code first} is the first one's text ("" when none). */
  record KernelWarnings(long count, String first) implements Observation {}

  /** The kernel cannot run this step (a capability, device or feature is missing): never a pass. */
  record Unsupported(String reason) implements Observation {
    public Unsupported {
      reason = reason.startsWith("unsupported: ") ? reason : "unsupported: " + reason;
    }
  }

  /** Compact text for reports, e.g. {@code MemoryFault(gpa=0x203000, size=4096, flags=0x10)}. */
  default String show() {
    return switch (this) {
      case Value v -> "Value(" + v.value().tla + ")";
      case MemoryFault m -> "MemoryFault(gpa=0x" + Long.toHexString(m.gpa()) + ", size=" + m.size() + ", flags=0x" + Long.toHexString(m.flags()) + ")";
      case Mmio m -> "Mmio(gpa=0x" + Long.toHexString(m.gpa()) + ", len=" + m.len() + (m.write() ? ", write" : ", read") + ")";
      case OtherExit o -> "Exit(" + o.exit() + ")";
      case Blocked b -> "Blocked(uffd message for g" + b.gfn() + ")";
      case NoProgress n -> "NoProgress(" + n.detail() + ")";
      case Ioctl i -> i.call() + " -> " + i.result()
          + (!i.woken().isEmpty() ? ", woken: " + shown(i.woken()) : i.call().startsWith("UFFDIO") ? ", nobody woken" : "");
      case UffdMessage u -> "UffdMessage(g" + u.gfn() + (u.minor() ? ", minor" : "") + ")";
      case NoMessage n -> "NoMessage";
      case Done d -> "Done";
      case Mappings m -> "Mappings(pages_4k=" + m.pages4k() + ", pages_2m=" + m.pages2m() + ")";
      case HugeMappings m -> "HugeMappings(pages_2m=" + m.pages2m() + ")";
      case KernelWarnings k -> "KernelWarnings(" + k.count() + (k.first().isEmpty() ? "" : ", first: " + k.first()) + ")";
      case Unsupported u -> u.reason();
    };
  }

  private static String shown(Map<Integer, Observation> m) {
    return m.entrySet().stream().map(e -> "v" + e.getKey() + " " + e.getValue().show()).collect(Collectors.joining(", ", "{", "}"));
  }
}
