package kvmuf.kvm;

/**
 * The KVM capability numbers the kit asks about (KVM_CHECK_EXTENSION), checked against
 * include/uapi/linux/kvm.h. The two USERFAULT numbers come from the unmerged series (facts file section
 * 1): 239 in v1/v2 and 243 in v3. Upstream later gave both numbers to arm64-only capabilities (239 =
 * KVM_CAP_ARM_WRITABLE_IMP_ID_REGS, 243 = KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED), and other trees used
 * other numbers, so a positive answer proves nothing: see {@link UserfaultEvidence}.
 */
public enum KvmCap {
  USER_MEMORY(3),
  NR_VCPUS(9),
  NR_MEMSLOTS(10),
  SYNC_MMU(16),
  MAX_VCPUS(66),
  READONLY_MEM(81),
  CHECK_EXTENSION_VM(105),
  MANUAL_DIRTY_LOG_PROTECT2(168),
  DIRTY_LOG_RING(192),
  BINARY_STATS_FD(203),
  USER_MEMORY2(231),
  MEMORY_FAULT_INFO(232),
  MEMORY_ATTRIBUTES(233),
  GUEST_MEMFD(234),
  VM_TYPES(235),
  PRE_FAULT_MEMORY(236),
  /** KVM Userfault v1/v2 (upstream: KVM_CAP_ARM_WRITABLE_IMP_ID_REGS on arm64). */
  USERFAULT_V1_V2(239),
  /** KVM Userfault v3 (upstream: KVM_CAP_ARM_CACHEABLE_PFNMAP_SUPPORTED on arm64). */
  USERFAULT_V3(243),
  /** Answers the supported guest_memfd flags as a bit set (GUEST_MEMFD_FLAG_MMAP = 1, INIT_SHARED = 2). */
  GUEST_MEMFD_FLAGS(244);

  private final int number;

  KvmCap(int number) {
    this.number = number;
  }

  public int number() {
    return number;
  }

  /** The C name, e.g. "KVM_CAP_USER_MEMORY2"; both USERFAULT numbers print as KVM_CAP_USERFAULT. */
  public String cName() {
    return switch (this) {
      case USERFAULT_V1_V2, USERFAULT_V3 -> "KVM_CAP_USERFAULT";
      default -> "KVM_CAP_" + name();
    };
  }
}
