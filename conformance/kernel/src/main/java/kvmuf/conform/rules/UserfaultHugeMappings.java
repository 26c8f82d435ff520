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
 * KVM Userfault and huge mappings, counted by KVM's pages_2m (KVM_CAP_USERFAULT kernels only): a THP-backed
 * 2 MiB slot touched by the guest maps one 2M entry; enabling USERFAULT (one page marked) leaves none (the
 * model's commit zaps the slot); a fault on a clear page maps 4K only, so no 2M entry covers the marked page,
 * which still exits; once it is resolved and USERFAULT is disabled, x86 recovers: a re-touch maps 2M again.
 * The model's gfn 1 stands for pages 1..511 ({@link HugeFrame}); the marked page is page 1 (only pages 0 and 1
 * are touched while it is marked).
 */
public final class UserfaultHugeMappings {
  public static final Rule RULE = ScriptedRule.of(
      "userfault-huge-mappings",
      "with KVM_CAP_USERFAULT, enabling the flag on a slot with a 2M mapping leaves none, faults map 4K only; disabling recovers (x86)",
      TargetSetup.of(SlotKind.ANON, UffdMode.NONE).prefilled(),
      ModelConfigs.of("conform-userfault-huge", 1, SlotKind.ANON, UffdMode.NONE, UserfaultUse.LATE, false, true),
      run -> {
        long base2m = HugeFrame.mapped(run).pages2m();

        run.expect(new Action.SetBit(1));
        run.expect(new Action.EnableUserfault());
        run.expectHugeFrames(base2m); // zapped
        run.expect(new Action.Access(0, 0));
        run.expectHugeFrames(base2m); // 4K only: no 2M entry over the marked page
        run.expect(new Action.Access(0, 1)); // the marked page still exits
        run.expect(new Action.Install(0));
        run.expect(new Action.ClearBit(0));
        run.expect(new Action.ResumeVcpu(0));
        run.expect(new Action.Access(0, 1)); // re-enters KVM_RUN: the retried read

        run.expect(new Action.DisableUserfault());
        run.expect(new Action.Access(0, 0));
        run.expectHugeFrames(base2m); // recovered
      });

  private UserfaultHugeMappings() {}
}
