package kvmuf.conform.rules;

import kvmuf.model.Action;
import kvmuf.model.Observation;
import kvmuf.conform.Rule;
import kvmuf.conform.ScriptedRule;
import kvmuf.conform.TargetSetup;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;

/** A guest read of a gpa no memslot covers ends KVM_RUN with KVM_EXIT_MMIO carrying that gpa (UAPI; the model has one slot). */
public final class MmioOutsideMemslots {
  /** A gfn past the end of the slot (the slot is 2 MiB; nothing else is mapped up there). */
  static final int OUTSIDE = TargetSetup.PAGES_2M + 16;

  public static final Rule RULE = ScriptedRule.uapi(
      "mmio-outside-memslots",
      "an access outside every memslot exits with KVM_EXIT_MMIO and that gpa",
      TargetSetup.of(SlotKind.ANON, UffdMode.NONE),
      run -> run.expectUapi(new Action.Access(0, OUTSIDE), new Observation.MmioExit(OUTSIDE * Observation.PAGE_SIZE, 4, false)));

  private MmioOutsideMemslots() {}
}
