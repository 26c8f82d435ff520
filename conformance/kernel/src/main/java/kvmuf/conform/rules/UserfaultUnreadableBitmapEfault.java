package kvmuf.conform.rules;

import kvmuf.conform.AgentObservation;
import kvmuf.conform.ApiCall;
import kvmuf.conform.Rule;
import kvmuf.conform.ScriptedRule;
import kvmuf.conform.TargetSetup;
import kvmuf.model.Action;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;
import kvmuf.model.Observation;
import kvmuf.sys.Errno;

/**
 * KVM Userfault with a userfault_bitmap pointer to user memory nothing can read (no page there): the ioctl's
 * access_ok is a range check and passes in every revision, and the first vCPU fault, whose __get_user of the
 * bitmap faults, fails KVM_RUN with a bare EFAULT (R12: kvm_do_userfault returns without filling memory_fault).
 */
public final class UserfaultUnreadableBitmapEfault {
  public static final Rule RULE = ScriptedRule.uapi(
      "userfault-unreadable-bitmap-efault",
      "with KVM_CAP_USERFAULT, a bitmap pointer to unreadable user memory is accepted, and the next vCPU fault fails with a bare EFAULT",
      TargetSetup.of(SlotKind.ANON, UffdMode.NONE),
      run -> {
        run.requireUserfaultProfile();
        try (BitmapMemory m = BitmapMemory.unreadable()) {
          run.expectUapi(new ApiCall.EnableUserfaultAt(m.pointer()), new Observation.Ioctl("ok"));
          run.expectUapi(new Action.Access(0, 0), AgentObservation.failed(Errno.EFAULT));
        }
      });

  private UserfaultUnreadableBitmapEfault() {}
}
