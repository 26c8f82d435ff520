package kvmuf.conform.rules;

import kvmuf.conform.Rule;
import kvmuf.conform.ScriptedRule;
import kvmuf.conform.TargetSetup;
import kvmuf.model.Action;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;

/**
 * KVM Userfault's resolution protocol (KVM_CAP_USERFAULT kernels only): after the exit the VMM installs the
 * page (a plain write), clears the bit with release semantics and re-runs; the guest reads the fetched bytes.
 */
public final class UserfaultResolve {
  public static final Rule RULE = ScriptedRule.of(
      "userfault-install-clear-resume",
      "with KVM_CAP_USERFAULT, install + clear bit + re-run makes the guest read the fetched bytes",
      TargetSetup.of(SlotKind.ANON, UffdMode.NONE),
      UserfaultExit.model("conform-userfault-resolve"),
      run -> {
        UserfaultExit.markAndExit(run, 0);
        run.expect(new Action.Install(0));
        run.expect(new Action.ClearBit(0));
        run.expect(new Action.ResumeVcpu(0));
        run.expect(new Action.Access(0, 0)); // re-enters KVM_RUN: the retried read
      });

  private UserfaultResolve() {}
}
