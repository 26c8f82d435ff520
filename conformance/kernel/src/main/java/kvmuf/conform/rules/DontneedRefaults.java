package kvmuf.conform.rules;

import kvmuf.conform.ModelConfigs;
import kvmuf.conform.Rule;
import kvmuf.conform.Script;
import kvmuf.conform.ScriptedRule;
import kvmuf.conform.TargetSetup;
import kvmuf.model.Action;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;
import kvmuf.model.Config.UserfaultUse;

/**
 * MADV_DONTNEED on a page the guest has mapped (the model's InvalidateBegin, End inside the same call: the mmu notifier zaps the mapping and
 * the anonymous page is gone) makes the guest's next read fault again: a new uffd message for it.
 */
public final class DontneedRefaults {
  public static final Rule RULE = ScriptedRule.of(
      "dontneed-refaults",
      "MADV_DONTNEED on a mapped page makes the next guest access fault again (a new uffd message)",
      TargetSetup.of(SlotKind.ANON, UffdMode.MISSING),
      ModelConfigs.of("conform-dontneed", 1, SlotKind.ANON, UffdMode.MISSING, UserfaultUse.NONE, false, false),
      Script.actions(
          new Action.Access(0, 0),
          new Action.UffdRead(0),
          new Action.UffdInstall(0),
          new Action.Access(0, 0),
          new Action.InvalidateBegin(0),
          new Action.Access(0, 0),
          new Action.UffdRead(0),
          new Action.UffdInstall(0)));

  private DontneedRefaults() {}
}
