package kvmuf.cli;

import kvmuf.kvm.Kvm;

/** The check every host-target command makes first: this machine has a usable /dev/kvm (else exit 3). */
final class KvmRequired {
  private KvmRequired() {}

  static void check(String what) {
    String noKvm = Kvm.unavailableReason();
    if (noKvm != null) {
      throw KvmufException.environment(noKvm.replaceFirst("^unsupported: ", "") + ": " + what + " needs KVM; try --target vm");
    }
  }
}
