package kvmuf.conform.rules;

import java.util.List;
import kvmuf.conform.AgentObservation;
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
import kvmuf.sys.Errno;

/**
 * KVM Userfault with a zero userfault_bitmap: what each revision documents for it (facts M4; R11: 0 is a valid
 * user address). v1 and v2 accept it at the ioctl, WARN once, and treat every gfn as not marked: the guest's read
 * completes. v3 either rejects it at the ioctl (EINVAL: a strict implementation, as our reference kernel) or accepts
 * it and reads through it, so the first vCPU fault fails with a bare EFAULT (R12: no memory-fault exit filled in).
 */
public final class UserfaultNullBitmap {
  public static final Rule RULE = ScriptedRule.uapi(
      "userfault-null-bitmap",
      "with KVM_CAP_USERFAULT, enabling the flag with a zero bitmap pointer does what the revision documents (v1/v2: "
          + "accepted, nothing marked; v3: EINVAL, or accepted and the fault fails with a bare EFAULT)",
      TargetSetup.of(SlotKind.ANON, UffdMode.NONE),
      run -> {
        UapiProfile p = run.requireUserfaultProfile();
        ApiCall enable = new ApiCall.EnableUserfaultAt(0);
        if (!p.validatesBitmapPointer() || p == UapiProfile.UF_V2) {
          run.expectUapi(enable, new Observation.Ioctl("ok"));
          run.expectUapi(new Action.Access(0, 0), new Observation.Read(ValueClass.ZERO));
          return;
        }
        Observation answer = run.expectUapiOneOf(enable, List.of(new Observation.Ioctl("EINVAL"), new Observation.Ioctl("ok"))).result();
        if (answer.equals(new Observation.Ioctl("ok"))) {
          run.expectUapi(new Action.Access(0, 0), AgentObservation.failed(Errno.EFAULT));
        } else {
          run.expectUapi(new Action.Access(0, 0), new Observation.Read(ValueClass.ZERO)); // the slot kept its flags
        }
      });

  private UserfaultNullBitmap() {}
}
