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
 * A guest read of a userfaultfd-MISSING page sleeps in the uffd (a message with that address), UFFDIO_COPY
 * resolves it and wakes the vCPU, which reads the fetched bytes; a second read finds the page mapped.
 */
public final class UffdMissingCopy {
  public static final Rule RULE = ScriptedRule.of(
      "uffd-missing-copy",
      "a guest read of a uffd-MISSING page is a uffd message for it; UFFDIO_COPY wakes the vCPU, which reads the fetched bytes",
      TargetSetup.of(SlotKind.ANON, UffdMode.MISSING),
      ModelConfigs.of("conform-uffd-missing", 1, SlotKind.ANON, UffdMode.MISSING, UserfaultUse.NONE, false, false),
      Script.actions(
          new Action.Access(0, 0),
          new Action.UffdRead(0),
          new Action.UffdInstall(0),
          new Action.Access(0, 0)));

  private UffdMissingCopy() {}
}
