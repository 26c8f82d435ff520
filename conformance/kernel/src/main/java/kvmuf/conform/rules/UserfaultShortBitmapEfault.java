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
import kvmuf.model.ValueClass;
import kvmuf.sys.Errno;

/**
 * KVM Userfault with a userfault_bitmap too short for its slot (512 pages need 64 bytes; only the first long is
 * readable): the ioctl cannot tell (access_ok checks the range, not what is mapped there) and accepts it; the
 * kernel then reads each gfn's long where the fault needs it: gfn 1 (bit clear) reads, gfn 0 (bit set) exits with
 * USERFAULT, and gfn 64, whose long is not readable, fails KVM_RUN with a bare EFAULT (R12).
 */
public final class UserfaultShortBitmapEfault {
  public static final Rule RULE = ScriptedRule.uapi(
      "userfault-short-bitmap-efault",
      "with KVM_CAP_USERFAULT, a bitmap shorter than its slot is accepted; gfns of its readable long exit or read by their bit, "
          + "a gfn past it fails with a bare EFAULT",
      TargetSetup.of(SlotKind.ANON, UffdMode.NONE),
      run -> {
        run.requireUserfaultProfile();
        try (BitmapMemory m = BitmapMemory.oneLong(1L)) {
          run.expectUapi(new ApiCall.EnableUserfaultAt(m.pointer()), new Observation.Ioctl("ok"));
          run.expectUapi(new Action.Access(0, 1), new Observation.Read(ValueClass.ZERO));
          run.expectUapi(new Action.Access(0, 0), new Observation.MemoryFaultExit(0, Observation.PAGE_SIZE, java.util.List.of("USERFAULT")));
          run.expectUapi(new Action.Access(0, 64), AgentObservation.failed(Errno.EFAULT));
        }
      });

  private UserfaultShortBitmapEfault() {}
}
