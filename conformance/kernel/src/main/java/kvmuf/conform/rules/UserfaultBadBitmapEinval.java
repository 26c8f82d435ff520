package kvmuf.conform.rules;

import kvmuf.model.Observation;
import kvmuf.conform.Rule;
import kvmuf.conform.ScriptedRule;
import kvmuf.conform.ApiCall;
import kvmuf.conform.TargetSetup;
import kvmuf.kvm.UapiProfile;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;

/**
 * KVM Userfault v2 and later: enabling the flag with a userfault_bitmap pointer that is not a user address
 * (here one in the kernel half) fails with EINVAL at KVM_SET_USER_MEMORY_REGION2 (access_ok over the
 * bitmap's longs). v1 accepted any pointer and failed KVM_RUN later: unsupported there.
 */
public final class UserfaultBadBitmapEinval {
  /** The start of x86-64's direct map: never a user address. */
  static final long KERNEL_ADDRESS = 0xffff_8880_0000_0000L;

  public static final Rule RULE = ScriptedRule.uapi(
      "userfault-bad-bitmap-einval",
      "with KVM_CAP_USERFAULT (v2+), enabling the flag with a bitmap pointer outside user space fails with EINVAL",
      TargetSetup.of(SlotKind.ANON, UffdMode.NONE),
      run -> {
        UapiProfile p = run.target().profile();
        if (p.hasUserfault() && !p.validatesBitmapPointer()) {
          run.unsupported("profile " + p.id() + " does not validate the bitmap pointer at the ioctl (v1 faults at KVM_RUN instead)");
        }
        run.expectUapi(new ApiCall.EnableUserfaultAt(KERNEL_ADDRESS), new Observation.Ioctl("EINVAL"));
      });

  private UserfaultBadBitmapEinval() {}
}
