package kvmuf.conform.rules;

import kvmuf.conform.Rule;
import kvmuf.conform.Script;
import kvmuf.conform.ScriptedRule;
import kvmuf.conform.TargetSetup;
import kvmuf.model.Action;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;

/**
 * KVM Userfault (KVM_CAP_USERFAULT kernels only): a bit set after the page is mapped has no effect, as
 * documented; the guest's read of it completes without an exit (x86; arm64 permission faults differ).
 */
public final class UserfaultBitAfterMap {
  public static final Rule RULE = ScriptedRule.of(
      "userfault-bit-after-map",
      "with KVM_CAP_USERFAULT, a bit set after the page is mapped causes no exit",
      TargetSetup.of(SlotKind.ANON, UffdMode.NONE),
      UserfaultExit.model("conform-userfault-bit-after-map"),
      Script.actions(
          new Action.SetBit(1),
          new Action.EnableUserfault(),
          new Action.Access(0, 0),
          new Action.SetBit(0),
          new Action.Access(0, 0)));

  private UserfaultBitAfterMap() {}
}
