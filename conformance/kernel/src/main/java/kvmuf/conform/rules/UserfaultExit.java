package kvmuf.conform.rules;

import kvmuf.conform.ModelConfigs;
import kvmuf.conform.Rule;
import kvmuf.conform.RuleRun;
import kvmuf.conform.ScriptedRule;
import kvmuf.conform.TargetSetup;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;
import kvmuf.model.Config.UserfaultUse;

/**
 * KVM Userfault (KVM_CAP_USERFAULT kernels only): a vCPU touching a marked gfn ends KVM_RUN with
 * KVM_EXIT_MEMORY_FAULT, gpa page aligned, size 4096, flags KVM_MEMORY_EXIT_FLAG_USERFAULT.
 */
public final class UserfaultExit {
  public static final Rule RULE = ScriptedRule.of(
      "userfault-exit",
      "with KVM_CAP_USERFAULT, touching a marked gfn exits with KVM_EXIT_MEMORY_FAULT (page gpa, size 4096, flags USERFAULT)",
      TargetSetup.of(SlotKind.ANON, UffdMode.NONE),
      model("conform-userfault-exit"),
      run -> markAndExit(run, 0));

  static Config model(String name) {
    return ModelConfigs.of(name, 1, SlotKind.ANON, UffdMode.NONE, UserfaultUse.LATE, false, false);
  }

  /** SetBit(g), EnableUserfault, then the guest's read of g: a USERFAULT exit. */
  static void markAndExit(RuleRun run, int g) {
    run.expect(new Action.SetBit(g));
    run.expect(new Action.EnableUserfault());
    run.expect(new Action.Access(0, g));
  }

  private UserfaultExit() {}
}
