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
 * Every kernel with mmap-able guest_memfd: a flags-only update of a guest_memfd slot may not turn on dirty logging
 * or READONLY (check_memory_region_flags drops both for KVM_MEM_GUEST_MEMFD: private memory is not dirty-logged, and
 * read-only slots mean emulated MMIO, which private memory does not allow; facts R15), and the slot keeps working.
 * KVM Userfault v3 relaxed "guest_memfd slots are immutable" to "cannot MOVE" so that USERFAULT can be toggled on
 * them: a patch doing so must not let these flags through with it.
 */
public final class MemslotGmemFlagsEinval {
  static final int GMEM = UapiProfile.KVM_MEM_GUEST_MEMFD;

  public static final Rule RULE = ScriptedRule.uapi(
      "memslot-gmem-flags-einval",
      "a flags-only update setting DIRTY_LOG or READONLY on a guest_memfd slot fails with EINVAL, and the slot keeps working",
      TargetSetup.of(SlotKind.GMEM, UffdMode.NONE),
      run -> {
        run.expectUapi(new ApiCall.SetFlags(GMEM | UapiProfile.KVM_MEM_LOG_DIRTY_PAGES), new Observation.Ioctl("EINVAL"));
        run.expectUapi(new ApiCall.SetFlags(GMEM | UapiProfile.KVM_MEM_READONLY), new Observation.Ioctl("EINVAL"));
        run.expectUapi(new Action.Access(0, 0), new Observation.Read(ValueClass.ZERO));
      });

  private MemslotGmemFlagsEinval() {}
}
