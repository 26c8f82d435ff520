package kvmuf.conform.rules;

import kvmuf.conform.KernelTarget;
import kvmuf.conform.Observation;
import kvmuf.conform.Rule;
import kvmuf.conform.ScriptedRule;
import kvmuf.conform.Step;
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
        long end = KernelTarget.gpa(TargetSetup.PAGES_2M);
        run.expectUapi(new Step.CreateMemslot(1, KernelTarget.gpa(256), 16), Observation.Ioctl.of("KVM_SET_USER_MEMORY_REGION2", "EEXIST"));
        run.expectUapi(new Step.CreateMemslot(1, end - 8 * 4096, 16), Observation.Ioctl.of("KVM_SET_USER_MEMORY_REGION2", "EEXIST"));
        run.expectUapi(new Step.CreateMemslot(1, end, 16), Observation.Ioctl.of("KVM_SET_USER_MEMORY_REGION2", "ok"));
      });

  private MemslotOverlap() {}
}
