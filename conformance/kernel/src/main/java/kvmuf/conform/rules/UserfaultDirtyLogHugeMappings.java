package kvmuf.conform.rules;

import kvmuf.conform.ModelConfigs;
import kvmuf.conform.Rule;
import kvmuf.conform.ScriptedRule;
import kvmuf.conform.TargetSetup;
import kvmuf.model.Action;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;
import kvmuf.model.Config.UserfaultUse;

/**
 * R10 and facts M3 on a THP-backed slot (KVM_CAP_USERFAULT kernels only), counted by KVM's pages_2m: with dirty
 * logging on, a post-copy round (mark page 1, enable, exit, install, clear, resume) and a fault on page 0 leave
 * 4K mappings; disabling USERFAULT then must not recover a 2M mapping while dirty logging is still on (the
 * model's commit leaves the mappings alone). A kernel that recovers anyway without a WARN (the deployed v2
 * behaviour) shows pages_2m 1 here, which userfault-disable-while-dirty-log (no THP behind its slot) cannot see.
 * The model's gfn 1 stands for pages 1..511 ({@link HugeFrame}).
 */
public final class UserfaultDirtyLogHugeMappings {
  public static final Rule RULE = ScriptedRule.of(
      "userfault-disable-while-dirty-log-huge",
      "with KVM_CAP_USERFAULT, disabling the flag while dirty logging is on leaves a THP-backed slot without a 2M mapping (R10, M3)",
      TargetSetup.of(SlotKind.ANON, UffdMode.NONE).prefilled(),
      ModelConfigs.of("conform-userfault-dirty-log-huge", 1, SlotKind.ANON, UffdMode.NONE, UserfaultUse.LATE, true, true),
      run -> {
        long base2m = HugeFrame.mapped(run).pages2m();

        run.expect(new Action.EnableDirtyLog());
        HugeFrame.touch(run, 1);
        run.expectHugeFrames(base2m); // dirty logging: 4K only

        run.expect(new Action.SetBit(1));
        run.expect(new Action.EnableUserfault());
        run.expect(new Action.Access(0, 1)); // the marked page exits
        run.expect(new Action.Install(0));
        run.expect(new Action.ClearBit(0));
        run.expect(new Action.ResumeVcpu(0));
        run.expect(new Action.Access(0, 1)); // re-enters KVM_RUN: the retried read
        run.expect(new Action.Access(0, 0)); // a 4K mapping under the frame's page table

        run.expect(new Action.DisableUserfault());
        run.expectHugeFrames(base2m); // no recovery while dirty logging is on
      });

  private UserfaultDirtyLogHugeMappings() {}
}
