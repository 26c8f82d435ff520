package kvmuf.conform.rules;

import kvmuf.conform.ModelConfigs;
import kvmuf.model.Observation;
import kvmuf.conform.Rule;
import kvmuf.conform.ScriptedRule;
import kvmuf.conform.ApiCall;
import kvmuf.conform.TargetSetup;
import kvmuf.model.Action;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;
import kvmuf.model.Config.UserfaultUse;

/**
 * R10 (KVM_CAP_USERFAULT kernels only): on a dirty-logged slot, a post-copy round (mark, enable, exit,
 * install, clear, resume) followed by disabling USERFAULT must not try to recover huge pages while dirty
 * logging is on: the model's commit leaves the mappings alone, and the kernel must not log a WARN (the
 * posted series hit WARN_ON_ONCE in recover_huge_pages_range until James's fix).
 */
public final class UserfaultDirtyLogNoWarn {
  public static final Rule RULE = ScriptedRule.of(
      "userfault-disable-while-dirty-log",
      "with KVM_CAP_USERFAULT, disabling the flag while dirty logging is on recovers nothing and logs no kernel WARN (R10)",
      TargetSetup.of(SlotKind.ANON, UffdMode.NONE),
      ModelConfigs.of("conform-userfault-dirty-log", 1, SlotKind.ANON, UffdMode.NONE, UserfaultUse.LATE, true, false),
      run -> {
        run.run(new ApiCall.ReadKernelWarnings()); // the baseline: WARNs logged before this rule are not its business
        run.expect(new Action.EnableDirtyLog());
        UserfaultExit.markAndExit(run, 0);
        run.expect(new Action.Install(0));
        run.expect(new Action.ClearBit(0));
        run.expect(new Action.ResumeVcpu(0));
        run.expect(new Action.Access(0, 0)); // re-enters KVM_RUN: the retried read
        run.expect(new Action.DisableUserfault());
        run.expectUapi(new ApiCall.ReadKernelWarnings(), new Observation.KernelWarnings(0, ""));
      });

  private UserfaultDirtyLogNoWarn() {}
}
