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
 * MADV_DONTNEED on a page the guest has mapped (the model's Invalidate: the mmu notifier zaps the mapping and
 * the anonymous page is gone) makes the guest's next read fault again: a new uffd message for it.
 */
public final class DontneedRefaults implements Rule {
  @Override
  public String name() {
    return "dontneed-refaults";
  }

  @Override
  public String summary() {
    return "MADV_DONTNEED on a mapped page makes the next guest access fault again (a new uffd message)";
  }

  @Override
  public TargetSetup setup() {
    return TargetSetup.of(SlotKind.ANON, UffdMode.MISSING);
  }

  @Override
  public Optional<Config> model() {
    return Optional.of(ModelConfigs.of("conform-dontneed", 1, SlotKind.ANON, UffdMode.MISSING, UserfaultUse.NONE, false, false));
  }

  @Override
  public void script(RuleRun run) {
    run.expect(new Step.Access(0, 0), new Action.Access(0, 0));
    run.expect(new Step.UffdRead(0), new Action.UffdRead(0));
    run.expect(new Step.UffdInstall(0), new Action.UffdInstall(0));
    run.expect(new Step.Access(0, 0), new Action.Access(0, 0));
    run.expect(new Step.Invalidate(0), new Action.Invalidate(0));
    run.expect(new Step.Access(0, 0), new Action.Access(0, 0));
    run.expect(new Step.UffdRead(0), new Action.UffdRead(0));
    run.expect(new Step.UffdInstall(0), new Action.UffdInstall(0));
  }
}
