package kvmuf.conform.rules;

import kvmuf.conform.ModelConfigs;
import kvmuf.conform.Rule;
import kvmuf.conform.RuleRun;
import kvmuf.conform.ScriptedRule;
import kvmuf.conform.TargetSetup;
import kvmuf.model.Action;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;
import kvmuf.model.Config.UserfaultUse;

/**
 * R2: vCPU 1 sleeps in userfaultfd on g0; the page gets installed without a wake (in the model: vCPU 0's
 * exit handler, after a USERFAULT exit on g0; on the kernel: the same UFFDIO_COPY with DONTWAKE); the uffd
 * reader's UFFDIO_COPY then fails with EEXIST and wakes nobody; UFFDIO_WAKE releases vCPU 1, which reads
 * the fetched bytes. The model's steps SetBit, EnableUserfault and vCPU 0's exit are model-only: they are
 * how the model reaches the state the kernel is put in directly.
 */
public final class UffdEexistWake {
  public static final Rule RULE = ScriptedRule.of(
      "uffd-eexist-wake",
      "UFFDIO_COPY on an installed page fails with EEXIST and wakes nobody; UFFDIO_WAKE releases the waiter",
      TargetSetup.of(SlotKind.ANON, UffdMode.MISSING).withVcpus(2),
      ModelConfigs.of("conform-uffd-eexist", 2, SlotKind.ANON, UffdMode.MISSING, UserfaultUse.LATE, false, false),
      run -> {
        run.expect(new Action.Access(1, 0));
        installedWithoutWake(run);
        run.expect(new Action.UffdRead(0));
        run.expect(new Action.UffdInstall(0));
        run.expect(new Action.UffdWake(0));
      });

  /** The model's way to a DONTWAKE install of g0 while vCPU 1 sleeps on it: vCPU 0's USERFAULT exit handler. */
  static void installedWithoutWake(RuleRun run) {
    run.modelOnly(new Action.SetBit(0));
    run.modelOnly(new Action.EnableUserfault());
    run.modelOnly(new Action.Access(0, 0));
    run.expect(new Action.Install(0));
  }

  private UffdEexistWake() {}
}
