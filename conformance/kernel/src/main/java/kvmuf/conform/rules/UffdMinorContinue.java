package kvmuf.conform.rules;

import java.util.Optional;
import kvmuf.conform.ModelConfigs;
import kvmuf.conform.Rule;
import kvmuf.conform.RuleRun;
import kvmuf.conform.Step;
import kvmuf.conform.TargetSetup;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;
import kvmuf.model.Config.UserfaultUse;

/**
 * shmem registered MINOR: the page is in the page cache but not mapped for the guest's view; a guest read is
 * a MINOR message; the VMM writes the fetched bytes through its own view and UFFDIO_CONTINUE maps them.
 */
public final class UffdMinorContinue implements Rule {
  @Override
  public String name() {
    return "uffd-minor-continue";
  }

  @Override
  public String summary() {
    return "a guest read of a uffd-MINOR shmem page is a MINOR message; UFFDIO_CONTINUE wakes the vCPU, which reads the fetched bytes";
  }

  @Override
  public TargetSetup setup() {
    return TargetSetup.of(SlotKind.SHMEM, UffdMode.MINOR);
  }

  @Override
  public Optional<Config> model() {
    return Optional.of(ModelConfigs.of("conform-uffd-minor", 1, SlotKind.SHMEM, UffdMode.MINOR, UserfaultUse.NONE, false, false));
  }

  @Override
  public void script(RuleRun run) {
    run.expect(new Step.Access(0, 0), new Action.Access(0, 0));
    run.expect(new Step.UffdRead(0), new Action.UffdRead(0));
    run.expect(new Step.UffdInstall(0), new Action.UffdInstall(0));
    run.expect(new Step.Access(0, 0), new Action.Access(0, 0));
  }
}
