package kvmuf.vm;

import java.util.Arrays;
import java.util.List;

/**
 * The seeded bugs of our reference kernel ({@code kernel-reference/}), switched at boot by
 * {@code kvm.userfault_mutant=ID}, a module parameter only our patch series has. The ids are the model's
 * mutant ids ({@code spec/mutants.tsv}) where the bug is the same (NoZapOnEnable, HugeWhileUserfault,
 * RecoverWithDirtyLog, WrongExitFlags, NoZapOnReenable); the others have no model twin: the model's fault path
 * always checks the bitmap, reads it live and orders it before the lookup, and the model has no guest_memfd
 * binding, exit gpa offset, PRIVATE flag or pointer validity (kernel-reference/README.md says which model
 * property each one breaks).
 */
public enum KernelMutant {
  NoZapOnEnable("enabling USERFAULT leaves the slot's mappings in place"),
  HugeWhileUserfault("faults map 2M pages while USERFAULT is on"),
  RecoverWithDirtyLog("disabling USERFAULT recovers huge pages while dirty logging is on (a WARN in the kernel log, R10)"),
  NoBitmapCheck("the vCPU fault path never reads the bitmap"),
  WrongExitFlags("the memory-fault exit lacks KVM_MEMORY_EXIT_FLAG_USERFAULT"),
  GmemBindingLost("a flags-only USERFAULT toggle on a guest_memfd slot leaves the new slot unbound (facts M1): its faults fail"),
  RecoverDespiteDirtyLog("disabling USERFAULT recovers huge pages in place while dirty logging is on, with no WARN (deployed v2, M3)"),
  PartialZapOnEnable("enabling USERFAULT zaps an off-by-one range: the slot's first page keeps its mapping"),
  UnalignedExitGpa("the memory-fault exit reports the faulting address, not its page"),
  NoPrivateFlag("a private fault's USERFAULT exit lacks KVM_MEMORY_EXIT_FLAG_PRIVATE"),
  NoPointerValidation("the bitmap pointer is not checked at KVM_SET_USER_MEMORY_REGION2 (v1): a bad one fails at fault time"),
  StaleBitmapSnapshot("KVM copies the bitmap when the slot is installed and reads the copy: later bit stores are not seen"),
  NoAcquireOnBitmapRead("the pfn lookup is not ordered after the bitmap load (done first): a marked gfn is looked up before it exits"),
  NoZapOnReenable("re-enabling USERFAULT after it was off does not zap: pages mapped meanwhile never exit");

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
