package kvmuf.conform.rules;

import kvmuf.conform.ApiCall;
import kvmuf.conform.Rule;
import kvmuf.conform.ScriptedRule;
import kvmuf.conform.TargetSetup;
import kvmuf.kvm.UapiProfile;
import kvmuf.model.Action;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;
import kvmuf.model.Observation;
import kvmuf.model.ValueClass;

/**
 * Every kernel: a flags-only update may change KVM_MEM_LOG_DIRTY_PAGES (and, with KVM Userfault, KVM_MEM_USERFAULT)
 * but not KVM_MEM_READONLY: setting it on an existing writable slot fails with EINVAL (kvm_set_memory_region), and
 * the slot keeps working. A patch that reworks the flags-only path for USERFAULT must keep that refusal.
 */
public final class MemslotReadonlyToggleEinval {
  public static final Rule RULE = ScriptedRule.uapi(
      "memslot-readonly-toggle-einval",
      "a flags-only update setting KVM_MEM_READONLY on an existing writable slot fails with EINVAL, and the slot keeps working",
      TargetSetup.of(SlotKind.ANON, UffdMode.NONE),
      run -> {
        run.expectUapi(new ApiCall.SetFlags(UapiProfile.KVM_MEM_READONLY), new Observation.Ioctl("EINVAL"));
        run.expectUapi(new Action.Access(0, 0), new Observation.Read(ValueClass.ZERO));
      });

  private MemslotReadonlyToggleEinval() {}
}
