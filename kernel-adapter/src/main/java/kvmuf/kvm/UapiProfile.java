package kvmuf.kvm;

import java.util.Arrays;
import java.util.Locale;
import java.util.OptionalInt;

/**
 * Which KVM Userfault UAPI a kernel speaks (facts file section 1). v1 and v2 share the UAPI (v2 adds
 * pointer validation at SET_USER_MEMORY_REGION2); v3 changes internals and the capability number. The flag
 * bit, the bitmap field at offset 48 and the exit flag are the same in all three. A profile says nothing
 * about the capability number: the copies in use answer 239, 240, 241, 243, 245 or 252, and a kernel is
 * recognised by behaviour ({@link UserfaultEvidence}).
 */
public enum UapiProfile {
  /** No KVM Userfault: the flag bit 1<<3 is rejected (EINVAL) and the bitmap word must be zero. */
  UPSTREAM("upstream", false, false),
  UF_V1("uf-v1", true, false),
  UF_V2("uf-v2", true, true),
  UF_V3("uf-v3", true, true);

  /** KVM_MEM_USERFAULT: memslot flag (1UL << 3) in v1..v3. */
  public static final int KVM_MEM_USERFAULT = 1 << 3;
  public static final int KVM_MEM_LOG_DIRTY_PAGES = 1 << 0;
  public static final int KVM_MEM_READONLY = 1 << 1;
  public static final int KVM_MEM_GUEST_MEMFD = 1 << 2;
  /** Byte offset of {@code userfault_bitmap} in struct kvm_userspace_memory_region2 (was pad2[0]). */
  public static final long USERFAULT_BITMAP_OFFSET = 48;
  /** kvm_run.memory_fault.flags bit for a userfault exit (1ULL << 4). */
  public static final long KVM_MEMORY_EXIT_FLAG_USERFAULT = 1L << 4;
  /** kvm_run.memory_fault.flags bit for a private (guest_memfd) access (1ULL << 3), upstream. */
  public static final long KVM_MEMORY_EXIT_FLAG_PRIVATE = 1L << 3;
  /** exit_reason of a memory-fault exit, upstream since 6.8. */
  public static final int KVM_EXIT_MEMORY_FAULT = 39;

  private final String id;
  private final boolean userfault;
  private final boolean validatesBitmapPointer;

  UapiProfile(String id, boolean userfault, boolean validatesBitmapPointer) {
    this.id = id;
    this.userfault = userfault;
    this.validatesBitmapPointer = validatesBitmapPointer;
  }

  /** The name users type: "upstream", "uf-v1", "uf-v2", "uf-v3". */
  public String id() {
    return id;
  }

  /** KVM_MEM_USERFAULT is part of this UAPI. */
  public boolean hasUserfault() {
    return userfault;
  }

  /** v2 and v3 reject a bad bitmap pointer at SET_USER_MEMORY_REGION2 (EINVAL); v1 faults later. */
  public boolean validatesBitmapPointer() {
    return validatesBitmapPointer;
  }

  public static UapiProfile byId(String id) {
    for (UapiProfile p : values()) if (p.id.equals(id.toLowerCase(Locale.ROOT))) return p;
    throw new IllegalArgumentException(
        "unknown UAPI profile '" + id + "'; known: " + Arrays.stream(values()).map(UapiProfile::id).toList());
  }

  /** The last probe's answer and the capability number it was asked with (--userfault-cap is process-wide). */
  private record Detected(OptionalInt capability, UapiProfile profile) {}

  private static volatile Detected detected;

  /**
   * The profile this kernel shows by behaviour on a scratch VM ({@link UserfaultEvidence#probe}, also asking
   * the number named with {@link UserfaultEvidence#useCapability}, if any), probed once per process and number:
   * the kernel does not change under a process, and the probe builds a VM (a few ms, which a conform run would
   * otherwise pay for every trace).
   */
  public static UapiProfile detect(Kvm kvm) {
    OptionalInt cap = UserfaultEvidence.namedCapability();
    Detected d = detected;
    if (d == null || !d.capability().equals(cap)) detected = d = new Detected(cap, UserfaultEvidence.probe(kvm, cap).profile());
    return d.profile();
  }

  public static boolean isX86(String arch) {
    return arch.equals("amd64") || arch.equals("x86_64");
  }

  @Override
  public String toString() {
    return id;
  }
}
