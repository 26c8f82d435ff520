package kvmuf.conform.rules;

import kvmuf.conform.KernelVm;
import kvmuf.model.Observation;
import kvmuf.conform.Rule;
import kvmuf.conform.ScriptedRule;
import kvmuf.conform.ApiCall;
import kvmuf.conform.TargetSetup;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;

/** A second memslot whose gpa range overlaps the first is refused with EEXIST; one beside it is accepted (UAPI). */
public final class MemslotOverlap {
  public static final Rule RULE = ScriptedRule.uapi(
      "memslot-overlap-eexist",
      "creating a memslot that overlaps another fails with EEXIST",
      TargetSetup.of(SlotKind.ANON, UffdMode.NONE),
      run -> {
        long end = KernelVm.gpa(TargetSetup.PAGES_2M);
        run.expectUapi(new ApiCall.CreateMemslot(1, KernelVm.gpa(256), 16), new Observation.Ioctl("EEXIST"));
        run.expectUapi(new ApiCall.CreateMemslot(1, end - 8 * 4096, 16), new Observation.Ioctl("EEXIST"));
        run.expectUapi(new ApiCall.CreateMemslot(1, end, 16), new Observation.Ioctl("ok"));
      });

  private MemslotOverlap() {}
}
