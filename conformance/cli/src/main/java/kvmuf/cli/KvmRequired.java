package kvmuf.cli;

import kvmuf.kvm.Kvm;

/** The check every host-target command makes first: this machine has a usable /dev/kvm (else exit 3). */
final class KvmRequired {
  private KvmRequired() {}

  static void check(String what) {
    String noKvm = Kvm.unavailableReason();
    if (noKvm != null) {
      String why = noKvm.replaceFirst("^unsupported: ", "");
      boolean denied = why.contains("EACCES") || why.contains("ermission denied");
      // Only conform has a vm target; replay's other target is the model.
      String hint = denied ? "/dev/kvm needs root or the kvm group (usermod -aG kvm USER, then log in again)"
          : what.startsWith("conform") ? "try --target vm" : "try --target model, or 'kvmuf conform --target vm'";
      throw KvmufException.environment(why + ": " + what + " needs KVM" + (why.contains("kvm group") ? "" : "; " + hint));
    }
  }
}
