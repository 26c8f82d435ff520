package kvmuf.conform.rules;

import java.util.Optional;
import kvmuf.conform.Rule;
import kvmuf.conform.RuleRun;
import kvmuf.conform.Step;
import kvmuf.conform.TargetSetup;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;

/**
 * KVM Userfault's resolution protocol (KVM_CAP_USERFAULT kernels only): after the exit the VMM installs the
 * page (a plain write), clears the bit with release semantics and re-runs; the guest reads the fetched bytes.
 */
public final class UserfaultResolve implements Rule {
  @Override
  public String name() {
    return "userfault-install-clear-resume";
  }

  @Override
  public String summary() {
    return "with KVM_CAP_USERFAULT, install + clear bit + re-run makes the guest read the fetched bytes";
  }

  @Override
  public TargetSetup setup() {
    return TargetSetup.of(SlotKind.ANON, UffdMode.NONE);
  }

  @Override
  public Optional<Config> model() {
    return Optional.of(UserfaultExit.model("conform-userfault-resolve"));
  }

  @Override
  public void script(RuleRun run) {
    UserfaultExit.markAndExit(run, 0);
    run.expect(new Step.Install(0), new Action.Install(0));
    run.expect(new Step.ClearBit(0), new Action.ClearBit(0));
    run.expect(new Step.ResumeVcpu(0), new Action.ResumeVcpu(0));
  }
}
