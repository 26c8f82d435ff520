package kvmuf.vm;

import java.util.Arrays;
import java.util.List;

/**
 * The seeded bugs of our reference kernel ({@code kernel-reference/}), switched at boot by
 * {@code kvm.userfault_mutant=ID}, a module parameter only our patch series has. The ids are the model's
 * mutant ids ({@code spec/mutants.tsv}) where the bug is the same; {@code NoBitmapCheck} has no model twin
 * (the model's fault path always checks the bitmap; the kernel bug is skipping it).
 */
public enum KernelMutant {
  NoZapOnEnable("enabling USERFAULT leaves the slot's mappings in place"),
  HugeWhileUserfault("faults map 2M pages while USERFAULT is on"),
  RecoverWithDirtyLog("disabling USERFAULT recovers huge pages while dirty logging is on (a WARN in the kernel log, R10)"),
  NoBitmapCheck("the vCPU fault path never reads the bitmap"),
  WrongExitFlags("the memory-fault exit lacks KVM_MEMORY_EXIT_FLAG_USERFAULT");

  /** The word that asks for every mutant in turn. */
  public static final String ALL = "ALL";
  /** The module parameter, readable in the guest. */
  public static final String PARAMETER_FILE = "/sys/module/kvm/parameters/userfault_mutant"; // HostConform.KERNEL_MUTANT_PARAMETER reads it in the guest

  public final String bug;

  KernelMutant(String bug) {
    this.bug = bug;
  }

  public String bootArg() {
    return "kvm.userfault_mutant=" + name();
  }

  /** ALL: every mutant; else the one named (exact id). */
  public static List<KernelMutant> select(String spec) {
    if (spec.equals(ALL)) return List.of(values());
    for (KernelMutant m : values()) if (m.name().equals(spec)) return List.of(m);
    throw new IllegalArgumentException("unknown kernel mutant '" + spec + "'; valid: ALL, "
        + String.join(", ", Arrays.stream(values()).map(Enum::name).toList()));
  }
}
