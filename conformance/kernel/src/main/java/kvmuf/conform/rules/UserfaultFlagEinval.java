package kvmuf.conform.rules;

import kvmuf.model.Action;
import kvmuf.model.Observation;
import kvmuf.conform.Rule;
import kvmuf.conform.ScriptedRule;
import kvmuf.conform.ApiCall;
import kvmuf.conform.TargetSetup;
import kvmuf.kvm.UapiProfile;
import kvmuf.kvm.UserfaultEvidence;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;
import kvmuf.model.ValueClass;

/**
 * A kernel without KVM_CAP_USERFAULT refuses a flags-only update setting KVM_MEM_USERFAULT (1<<3) with
 * EINVAL, as the KVM selftests expect of unknown memslot flags, and the slot stays as it was.
 */
public final class UserfaultFlagEinval {
  public static final Rule RULE = ScriptedRule.uapi(
      "userfault-flag-einval",
      "without KVM_CAP_USERFAULT, a flags-only update setting 1<<3 fails with EINVAL and leaves the slot working",
      TargetSetup.of(SlotKind.ANON, UffdMode.NONE),
      run -> {
        UapiProfile p = run.target().profile();
        if (p.hasUserfault()) {
          // What the kernel did on a scratch VM, not what the profile's name suggests (it may be --profile).
          UserfaultEvidence e = UserfaultEvidence.ofThisKernel();
          run.unsupported((e.flagAccepted() ? "this kernel offers KVM Userfault (" : "this kernel does not offer KVM Userfault (")
              + e.describe() + "), and profile " + p.id() + " is in use: the userfault-* rules apply instead");
        }
        run.expectUapi(new ApiCall.SetFlags(UapiProfile.KVM_MEM_USERFAULT), new Observation.Ioctl("EINVAL"));
        run.expectUapi(new Action.Access(0, 0), new Observation.Read(ValueClass.ZERO));
      });

  private UserfaultFlagEinval() {}
}
