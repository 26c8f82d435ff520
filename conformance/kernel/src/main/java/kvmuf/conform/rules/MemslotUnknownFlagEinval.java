package kvmuf.conform.rules;

import kvmuf.model.Observation;
import kvmuf.conform.Rule;
import kvmuf.conform.ScriptedRule;
import kvmuf.conform.ApiCall;
import kvmuf.conform.TargetSetup;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;

/**
 * Every kernel, with or without KVM Userfault: a flags-only update setting a flag no KVM defines (1<<4, the
 * bit after KVM_MEM_USERFAULT) fails with EINVAL (KVM's check_memory_region_flags), so a patch that widens
 * the accepted flags for USERFAULT must not let unknown bits through.
 */
public final class MemslotUnknownFlagEinval {
  static final int UNKNOWN_FLAG = 1 << 4;

  public static final Rule RULE = ScriptedRule.uapi(
      "memslot-unknown-flag-einval",
      "a flags-only update setting an undefined flag (1<<4) fails with EINVAL, with or without KVM_CAP_USERFAULT",
      TargetSetup.of(SlotKind.ANON, UffdMode.NONE),
      run -> run.expectUapi(new ApiCall.SetFlags(UNKNOWN_FLAG), new Observation.Ioctl("EINVAL")));

  private MemslotUnknownFlagEinval() {}
}
