package kvmuf.conform;

import java.util.Optional;
import kvmuf.kvm.UapiProfile;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;

/**
 * How a {@link KernelTarget} builds its VM: {@code vcpus} vCPUs running the guest agent, one memslot of
 * {@code pages} 4 KiB pages (gfn 0 at {@link KernelTarget#BASE_GPA}, 2 MiB aligned in guest and host, so a
 * transparent huge page can back and map the first 2 MiB), backed by {@code kind} memory, registered with
 * userfaultfd in {@code uffd} mode.
 *
 * @param prefill write zeros over the whole slot before the guest runs (so the host backs it, with a THP
 *     where the kernel gives one); userfaultfd then never sees a fault on it
 * @param profile the KVM Userfault UAPI to speak; empty: the one probed from the kernel
 * @param userfaultAtStart create the slot with KVM_MEM_USERFAULT and every bit of its bitmap set, before the
 *     guest's first access (the model's UserfaultUse = start); unsupported without KVM_CAP_USERFAULT
 */
public record TargetSetup(int vcpus, int pages, SlotKind kind, UffdMode uffd, boolean prefill, Optional<UapiProfile> profile,
    boolean userfaultAtStart, boolean zapMemslotOnly) {
  /** 2 MiB: one x86 huge frame. */
  public static final int PAGES_2M = 512;

  public TargetSetup {
    if (vcpus < 1 || vcpus > 8) throw new IllegalArgumentException("1..8 vCPUs, not " + vcpus);
    if (pages < 1) throw new IllegalArgumentException("a slot needs pages");
    if (uffd == UffdMode.MINOR && kind != SlotKind.SHMEM) throw new IllegalArgumentException("userfaultfd MINOR needs shmem backing");
    if (kind.guestMemfd() && uffd != UffdMode.NONE) throw new IllegalArgumentException("guest_memfd has no userfaultfd");
  }

  /** x86 KVM's default zap on a memslot change (KVM_X86_QUIRK_SLOT_ZAP_ALL on: every root obsoleted). */
  public TargetSetup(int vcpus, int pages, SlotKind kind, UffdMode uffd, boolean prefill, Optional<UapiProfile> profile,
      boolean userfaultAtStart) {
    this(vcpus, pages, kind, uffd, prefill, profile, userfaultAtStart, false);
  }

  /** A slot created without USERFAULT (the rules' and UserfaultUse = late's start). */
  public TargetSetup(int vcpus, int pages, SlotKind kind, UffdMode uffd, boolean prefill, Optional<UapiProfile> profile) {
    this(vcpus, pages, kind, uffd, prefill, profile, false);
  }

  public static TargetSetup of(SlotKind kind, UffdMode uffd) {
    return new TargetSetup(1, PAGES_2M, kind, uffd, false, Optional.empty());
  }

  public TargetSetup withVcpus(int n) {
    return new TargetSetup(n, pages, kind, uffd, prefill, profile, userfaultAtStart, zapMemslotOnly);
  }

  public TargetSetup prefilled() {
    return new TargetSetup(vcpus, pages, kind, uffd, true, profile, userfaultAtStart, zapMemslotOnly);
  }

  public TargetSetup withProfile(Optional<UapiProfile> p) {
    return new TargetSetup(vcpus, pages, kind, uffd, prefill, p, userfaultAtStart, zapMemslotOnly);
  }

  /** The slot created with KVM_MEM_USERFAULT and every page's bit set (UserfaultUse = start). */
  public TargetSetup withUserfaultAtStart(boolean on) {
    return new TargetSetup(vcpus, pages, kind, uffd, prefill, profile, on, zapMemslotOnly);
  }

  /**
   * A memslot change zaps that memslot's mappings only (the model's SlotZap = memslot): x86's
   * KVM_X86_QUIRK_SLOT_ZAP_ALL disabled, so faults in flight elsewhere are not retried by it.
   */
  public TargetSetup withZapMemslotOnly(boolean on) {
    return new TargetSetup(vcpus, pages, kind, uffd, prefill, profile, userfaultAtStart, on);
  }
}
