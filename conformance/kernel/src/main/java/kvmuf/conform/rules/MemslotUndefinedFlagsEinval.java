package kvmuf.conform.rules;

import java.util.ArrayList;
import java.util.List;
import kvmuf.conform.ApiCall;
import kvmuf.conform.Rule;
import kvmuf.conform.ScriptedRule;
import kvmuf.conform.TargetSetup;
import kvmuf.model.Action;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;
import kvmuf.model.Observation;
import kvmuf.model.ValueClass;

/**
 * Every kernel: a flags-only update setting any one flag bit no KVM defines (bits 4 to 31: KVM_MEM_LOG_DIRTY_PAGES,
 * READONLY, GUEST_MEMFD and USERFAULT are bits 0 to 3) fails with EINVAL (check_memory_region_flags), and the slot
 * keeps working. A KVM Userfault patch that widens the accepted flags by a mask must not let any of them through;
 * {@code memslot-unknown-flag-einval} tries the first of them only.
 */
public final class MemslotUndefinedFlagsEinval {
  static List<ApiCall> everyUndefinedBit() {
    List<ApiCall> calls = new ArrayList<>();
    for (int b = 4; b < 32; b++) calls.add(new ApiCall.SetFlags(1 << b));
    return calls;
  }

  public static final Rule RULE = ScriptedRule.uapi(
      "memslot-undefined-flags-einval",
      "a flags-only update setting any undefined flag bit (4 to 31) fails with EINVAL, and the slot keeps working",
      TargetSetup.of(SlotKind.ANON, UffdMode.NONE),
      run -> {
        run.expectAllCalls("SetFlags(1<<4 .. 1<<31)", everyUndefinedBit(), new Observation.Ioctl("EINVAL"));
        run.expectUapi(new Action.Access(0, 0), new Observation.Read(ValueClass.ZERO));
      });

  private MemslotUndefinedFlagsEinval() {}
}
