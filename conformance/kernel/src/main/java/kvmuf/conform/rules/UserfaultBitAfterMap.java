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
 * KVM Userfault (KVM_CAP_USERFAULT kernels only): a bit set after the page is mapped has no effect, as
 * documented; the guest's read of it completes without an exit (x86; arm64 permission faults differ).
 */
public final class UserfaultBitAfterMap implements Rule {
  @Override
  public String name() {
    return "userfault-bit-after-map";
  }

  @Override
  public String summary() {
    return "with KVM_CAP_USERFAULT, a bit set after the page is mapped causes no exit";
  }

  @Override
  public TargetSetup setup() {
    return TargetSetup.of(SlotKind.ANON, UffdMode.NONE);
  }

  @Override
  public Optional<Config> model() {
    return Optional.of(UserfaultExit.model("conform-userfault-bit-after-map"));
  }

  @Override
  public void script(RuleRun run) {
    run.expect(new Step.SetBit(1), new Action.SetBit(1));
    run.expect(new Step.EnableUserfault(), new Action.EnableUserfault());
    run.expect(new Step.Access(0, 0), new Action.Access(0, 0));
    run.expect(new Step.SetBit(0), new Action.SetBit(0));
    run.expect(new Step.Access(0, 0), new Action.Access(0, 0));
  }
}
