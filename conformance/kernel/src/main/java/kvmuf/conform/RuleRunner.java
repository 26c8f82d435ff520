package kvmuf.conform;

import java.util.List;
import java.util.Optional;
import kvmuf.kvm.UnsupportedFeatureException;
import kvmuf.sys.SyscallException;
import kvmuf.trace.ModelStates;

/** Runs one rule on a fresh VM of the {@link KernelTarget} and turns what happened into a {@link RuleResult}. */
public final class RuleRunner {
  private RuleRunner() {}

  public static RuleResult run(Rule rule, RuleContext context) {
    Optional<ModelStates> model = rule.model().map(context.model()).map(ModelStates::new);
    KernelTarget target = new KernelTarget(context.profile());
    try {
      target.start(rule.setup());
    } catch (UnsupportedFeatureException e) {
      target.close();
      return new RuleResult(rule.name(), RuleResult.Status.UNSUPPORTED, Optional.of(e.getMessage()), List.of(), 0);
    } catch (SyscallException e) {
      target.close();
      return new RuleResult(rule.name(), RuleResult.Status.UNSUPPORTED, Optional.of("unsupported: cannot build the VM: " + e.getMessage()), List.of(), 0);
    }
    RuleRun run = new RuleRun(target, model, context);
    try (target) {
      rule.script(run);
      return new RuleResult(rule.name(), RuleResult.Status.PASS, Optional.empty(), run.records(), run.kernelSteps());
    } catch (RuleRun.Stop s) {
      return new RuleResult(rule.name(), s.status, s.reason, run.records(), run.kernelSteps());
    } catch (RuntimeException e) {
      // A call failed in a way no expectation allows (e.g. KVM_RUN with an errno): not a pass, and said in one line.
      return new RuleResult(rule.name(), RuleResult.Status.DIVERGENCE, Optional.of("error: " + e), run.records(), run.kernelSteps());
    }
  }
}
