package kvmuf.kvm;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Shared by the KVM test classes: opens /dev/kvm or skips the test visibly with the reason
 * ("unsupported: no /dev/kvm"), so a machine without KVM never reports these tests as passed.
 */
public final class KvmTestSupport {
  private KvmTestSupport() {}

  public static Kvm openKvmOrSkip() {
    String reason = Kvm.unavailableReason();
    if (reason != null) System.err.println("[skipped] " + reason);
    assumeTrue(reason == null, reason);
    return Kvm.open();
  }

  /** Skips unless the kernel answers {@code cap} with a positive value. */
  public static void assumeCap(Kvm kvm, KvmCap cap) {
    int v = kvm.checkExtension(cap);
    String reason = "unsupported: " + cap.cName() + " (" + cap.number() + ") not offered by this kernel";
    if (v <= 0) System.err.println("[skipped] " + reason);
    assumeTrue(v > 0, reason);
  }
}
