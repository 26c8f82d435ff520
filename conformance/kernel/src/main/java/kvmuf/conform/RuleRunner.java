package kvmuf.conform;

import java.util.List;
import java.util.Optional;
import kvmuf.kvm.UnsupportedFeatureException;
import kvmuf.sys.SyscallException;

/** Runs one rule on a fresh {@link KernelTarget} and turns what happened into a {@link RuleResult}. */
public final class RuleRunner {
  private RuleRunner() {}

  public static RuleResult run(Rule rule, RuleContext context) {
    Optional<ModelOracle> oracle = rule.model().map(context.model()).map(ModelOracle::new);
    KernelTarget target;
    try {
      target = KernelTarget.open(context.profile().isPresent() ? rule.setup().withProfile(context.profile()) : rule.setup());
    } catch (UnsupportedFeatureException e) {
      return new RuleResult(rule.name(), RuleResult.Status.UNSUPPORTED, Optional.of(e.getMessage()), List.of(), 0);
    } catch (SyscallException e) {
      return new RuleResult(rule.name(), RuleResult.Status.UNSUPPORTED, Optional.of("unsupported: cannot build the VM: " + e.getMessage()), List.of(), 0);
    }
    RuleRun run = new RuleRun(target, oracle, context);
    try (target) {
      rule.script(run);
      return new RuleResult(rule.name(), RuleResult.Status.PASS, Optional.empty(), run.records(), run.kernelSteps());
    } catch (RuleRun.Stop s) {
      return new RuleResult(rule.name(), s.status, s.reason, run.records(), run.kernelSteps());
    } catch (ModelOracle.ModelRefusal m) {
      // Only a changed model gets here (the shipped scripts follow the model): the model and the script part ways.
      return new RuleResult(rule.name(), RuleResult.Status.DIVERGENCE, Optional.of(m.getMessage()), run.records(), run.kernelSteps());
    } catch (RuntimeException e) {
      // A call failed in a way no expectation allows (e.g. KVM_RUN with an errno): not a pass, and said in one line.
      return new RuleResult(rule.name(), RuleResult.Status.DIVERGENCE, Optional.of("error: " + e), run.records(), run.kernelSteps());
    }
  }
}
