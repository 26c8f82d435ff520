package kvmuf.conform.rules;

import kvmuf.model.StepObservation;
import kvmuf.model.Observations;
import kvmuf.trace.Target;
import java.util.Map;
import kvmuf.conform.ModelConfigs;
import kvmuf.model.Observation;
import kvmuf.conform.Rule;
import kvmuf.conform.ScriptedRule;
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
        run.expectUapi(new Action.UffdWake(0), new StepObservation(new Observation.Ioctl("ok"),
            Map.of(Observations.vcpuActor(1), new Observation.Read(ValueClass.FETCHED)), Target.PAGES_NOT_OBSERVED, Target.PAGES_NOT_OBSERVED));
        run.expectUapi(new Action.Access(1, 0), new Observation.Read(ValueClass.FETCHED));
      });

  private UffdDontwake() {}
}
