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
 * Dirty logging and huge mappings, counted by KVM's pages_2m: a THP-backed 2 MiB slot touched by the guest
 * maps one 2M entry; EnableDirtyLog leaves none (the model's commit splits every huge mapping); DisableDirtyLog
 * and a re-touch bring one back on x86 (the model's commit recovers huge mappings when USERFAULT is off).
 * Every count expected here is the model's count of huge frames after the same actions ({@link HugeFrame}
 * says how the model's frame stands for the 512 pages).
 */
public final class DirtyLogHugeMappings {
  public static final Rule RULE = ScriptedRule.of(
      "dirty-log-huge-mappings",
      "enabling DIRTY_LOG on a THP-backed slot leaves no 2M mapping; disabling it and re-touching brings one back (x86)",
      TargetSetup.of(SlotKind.ANON, UffdMode.NONE).prefilled(),
      ModelConfigs.of("conform-dirty-log", 1, SlotKind.ANON, UffdMode.NONE, UserfaultUse.NONE, true, true),
      run -> {
        long base2m = HugeFrame.mapped(run).pages2m();

        run.expect(new Action.EnableDirtyLog());
        HugeFrame.touch(run, 1);
        run.expectHugeFrames(base2m);

        run.expect(new Action.DisableDirtyLog());
        HugeFrame.touch(run, 1);
        run.expectHugeFrames(base2m);
      });

  private DirtyLogHugeMappings() {}
}
