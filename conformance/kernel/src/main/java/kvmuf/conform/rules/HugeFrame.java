package kvmuf.conform.rules;

import kvmuf.model.StepObservation;
import java.util.ArrayList;
import java.util.List;
import kvmuf.conform.Expectation;
import kvmuf.conform.HostThp;
import kvmuf.conform.RuleRun;
import kvmuf.conform.ApiCall;
import kvmuf.conform.TargetSetup;
import kvmuf.model.Action;

/**
 * The scene of the huge-mapping rules: a prefilled THP-backed 2 MiB slot that the guest has touched, so KVM
 * maps it with one 2M entry. The model's frame of 2 gfns stands for the 512 pages: its gfn 0 for the kernel's
 * page 0, its gfn 1 for pages 1..511. The host prefill is the model's KvmAccess to both gfns (KVM reads
 * through the HVA: the backing becomes present, nothing is mapped).
 */
final class HugeFrame {
  private HugeFrame() {}

  /**
   * Checks the host can show huge mappings (THP on, a huge page behind the slot, a KVM that counts mappings),
   * maps the frame and checks the model's huge-frame count; returns the mappings before the touch, the base
   * every later count is relative to (the guest agent's own pages).
   */
  static StepObservation mapped(RuleRun run) {
    String thp = HostThp.mode();
    if (thp.contains("[never]") || thp.equals("absent")) run.unsupported("transparent huge pages are off on this host (" + thp + ")");
    long kb = HostThp.anonHugeKb(run.target().hostAddress());
    if (kb < 2048) run.unsupported("the host gave no transparent huge page for the slot (AnonHugePages " + kb + " kB)");
    StepObservation base = run.run(new ApiCall.ReadMappings());

    run.modelOnly(new Action.KvmAccess(0, 0));
    run.modelOnly(new Action.KvmAccess(0, 1));
    touch(run, 2);
    StepObservation after = run.run(new ApiCall.ReadMappings());
    if (after.pages4k() + after.pages2m() == 0) {
      run.unsupported("this KVM does not count mappings in pages_* stats (pages_4k=0, pages_2m=0 after the guest touched 512 pages)");
    }
    run.expectHugeFrames(base.pages2m());
    return base;
  }

  /**
   * The guest reads every page of the frame. The kernel's page 0 is the model's gfn 0; pages 1..511 must
   * show what the model's gfn 1 shows when the model reads it ({@code modelGfns} 2), else what gfn 0 showed.
   */
  static void touch(RuleRun run, int modelGfns) {
    run.expect(new Action.Access(0, 0));
    Expectation rest = run.lastExpected();
    if (modelGfns == 2) rest = run.modelStep(new Action.Access(0, 1));
    List<Action> steps = new ArrayList<>();
    for (int g = 1; g < TargetSetup.PAGES_2M; g++) steps.add(new Action.Access(0, g));
    run.expectAll("Access(v0, g1..g511)", steps, rest);
  }
}
