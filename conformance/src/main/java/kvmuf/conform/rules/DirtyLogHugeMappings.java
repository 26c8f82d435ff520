package kvmuf.conform.rules;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import kvmuf.conform.Expectation;
import kvmuf.conform.HostThp;
import kvmuf.conform.ModelConfigs;
import kvmuf.conform.Observation;
import kvmuf.conform.Rule;
import kvmuf.conform.RuleRun;
import kvmuf.conform.Step;
import kvmuf.conform.TargetSetup;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;
import kvmuf.model.Config.UserfaultUse;

/**
 * Dirty logging and huge mappings, counted by KVM's pages_2m: a THP-backed 2 MiB slot touched by the guest
 * maps one 2M entry; EnableDirtyLog leaves none (the model's commit splits every huge mapping); DisableDirtyLog
 * and a re-touch bring one back on x86 (the model's commit recovers huge mappings when USERFAULT is off).
 * Every count expected here is the model's count of huge frames after the same actions. The model's frame
 * of 2 gfns stands for the 512 pages: its gfn 0 for the kernel's page 0, its gfn 1 for pages 1..511. The host
 * prefill is the model's KvmAccess to both gfns (KVM reads through the HVA: the backing becomes present,
 * nothing is mapped).
 */
public final class DirtyLogHugeMappings implements Rule {
  @Override
  public String name() {
    return "dirty-log-huge-mappings";
  }

  @Override
  public String summary() {
    return "enabling DIRTY_LOG on a THP-backed slot leaves no 2M mapping; disabling it and re-touching brings one back (x86)";
  }

  @Override
  public TargetSetup setup() {
    return TargetSetup.of(SlotKind.ANON, UffdMode.NONE).prefilled();
  }

  @Override
  public Optional<Config> model() {
    return Optional.of(ModelConfigs.of("conform-dirty-log", 1, SlotKind.ANON, UffdMode.NONE, UserfaultUse.NONE, true, true));
  }

  @Override
  public void script(RuleRun run) {
    String thp = HostThp.mode();
    if (thp.contains("[never]") || thp.equals("absent")) run.unsupported("transparent huge pages are off on this host (" + thp + ")");
    long kb = HostThp.anonHugeKb(run.target().hostAddress());
    if (kb < 2048) run.unsupported("the host gave no transparent huge page for the slot (AnonHugePages " + kb + " kB)");
    Observation.Mappings base = (Observation.Mappings) run.run(new Step.ReadMappings());

    run.modelOnly(new Action.KvmAccess(0, 0));
    run.modelOnly(new Action.KvmAccess(0, 1));
    touch(run, 2);
    Observation.Mappings after = (Observation.Mappings) run.run(new Step.ReadMappings());
    if (after.pages4k() + after.pages2m() == 0) {
      run.unsupported("this KVM does not count mappings in pages_* stats (pages_4k=0, pages_2m=0 after the guest touched 512 pages)");
    }
    run.expectHugeFrames(base.pages2m());

    run.expect(new Step.EnableDirtyLog(), new Action.EnableDirtyLog());
    touch(run, 1);
    run.expectHugeFrames(base.pages2m());

    run.expect(new Step.DisableDirtyLog(), new Action.DisableDirtyLog());
    touch(run, 1);
    run.expectHugeFrames(base.pages2m());
  }

  /**
   * The guest reads every page of the frame. The kernel's page 0 is the model's gfn 0; pages 1..511 must
   * show what the model's gfn 1 shows when the model reads it ({@code modelGfns} 2), else what gfn 0 showed.
   */
  static void touch(RuleRun run, int modelGfns) {
    run.expect(new Step.Access(0, 0), new Action.Access(0, 0));
    Expectation rest = run.lastExpected();
    if (modelGfns == 2) rest = Expectation.model(run.oracle().step(new Action.Access(0, 1), run.target().installCall()));
    List<Step> steps = new ArrayList<>();
    for (int g = 1; g < TargetSetup.PAGES_2M; g++) steps.add(new Step.Access(0, g));
    run.expectAll("Access(v0, g1..g511)", steps, rest);
  }
}
