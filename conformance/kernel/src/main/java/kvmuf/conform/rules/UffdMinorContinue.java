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
 * shmem registered MINOR: the page is in the page cache but not mapped for the guest's view; a guest read is
 * a MINOR message; the VMM writes the fetched bytes through its own view and UFFDIO_CONTINUE maps them.
 */
public final class UffdMinorContinue {
  public static final Rule RULE = ScriptedRule.of(
      "uffd-minor-continue",
      "a guest read of a uffd-MINOR shmem page is a MINOR message; UFFDIO_CONTINUE wakes the vCPU, which reads the fetched bytes",
      TargetSetup.of(SlotKind.SHMEM, UffdMode.MINOR),
      ModelConfigs.of("conform-uffd-minor", 1, SlotKind.SHMEM, UffdMode.MINOR, UserfaultUse.NONE, false, false),
      Script.actions(
          new Action.Access(0, 0),
          new Action.UffdRead(0),
          new Action.UffdInstall(0),
          new Action.Access(0, 0)));

  private UffdMinorContinue() {}
}
