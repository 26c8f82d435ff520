package kvmuf.conform.rules;

import java.util.TreeMap;
import kvmuf.conform.ModelConfigs;
import kvmuf.conform.Observation;
import kvmuf.conform.Rule;
import kvmuf.conform.ScriptedRule;
import kvmuf.conform.Step;
import kvmuf.conform.TargetSetup;
import kvmuf.model.Action;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;
import kvmuf.model.Config.UserfaultUse;
import kvmuf.model.ValueClass;

/**
 * UFFDIO_COPY with MODE_DONTWAKE installs the page and leaves the vCPU asleep (the model's exit-handler
 * Install wakes nobody); UFFDIO_WAKE then releases it (UAPI: the model only wakes through UffdWake after an
 * EEXIST, see {@link UffdEexistWake}).
 */
public final class UffdDontwake {
  public static final Rule RULE = ScriptedRule.of(
      "uffd-dontwake",
      "UFFDIO_COPY with DONTWAKE keeps the faulting vCPU asleep until UFFDIO_WAKE",
      TargetSetup.of(SlotKind.ANON, UffdMode.MISSING).withVcpus(2),
      ModelConfigs.of("conform-uffd-dontwake", 2, SlotKind.ANON, UffdMode.MISSING, UserfaultUse.LATE, false, false),
      run -> {
        run.expect(new Action.Access(1, 0));
        UffdEexistWake.installedWithoutWake(run);
        run.expect(new Action.UffdRead(0));
        TreeMap<Integer, Observation> woken = new TreeMap<>();
        woken.put(1, new Observation.Value(ValueClass.FETCHED));
        run.expectUapi(new Step.UffdWake(0), new Observation.Ioctl("UFFDIO_WAKE", "ok", woken));
        run.expectUapi(new Step.Access(1, 0), new Observation.Value(ValueClass.FETCHED));
      });

  private UffdDontwake() {}
}
