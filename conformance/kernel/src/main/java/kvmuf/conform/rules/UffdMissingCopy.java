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
 * A guest read of a userfaultfd-MISSING page sleeps in the uffd (a message with that address), UFFDIO_COPY
 * resolves it and wakes the vCPU, which reads the fetched bytes; a second read finds the page mapped.
 */
public final class UffdMissingCopy implements Rule {
  @Override
  public String name() {
    return "uffd-missing-copy";
  }

  @Override
  public String summary() {
    return "a guest read of a uffd-MISSING page is a uffd message for it; UFFDIO_COPY wakes the vCPU, which reads the fetched bytes";
  }

  @Override
  public TargetSetup setup() {
    return TargetSetup.of(SlotKind.ANON, UffdMode.MISSING);
  }

  @Override
  public Optional<Config> model() {
    return Optional.of(ModelConfigs.of("conform-uffd-missing", 1, SlotKind.ANON, UffdMode.MISSING, UserfaultUse.NONE, false, false));
  }

  @Override
  public void script(RuleRun run) {
    run.expect(new Step.Access(0, 0), new Action.Access(0, 0));
    run.expect(new Step.UffdRead(0), new Action.UffdRead(0));
    run.expect(new Step.UffdInstall(0), new Action.UffdInstall(0));
    run.expect(new Step.Access(0, 0), new Action.Access(0, 0));
  }
}
