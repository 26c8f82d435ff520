package kvmuf.conform;

import java.util.Optional;
import java.util.function.IntUnaryOperator;
import kvmuf.model.Action;

/**
 * From the model's actions to kernel steps, for replaying model-generated traces on a {@link KernelTarget}:
 * the names are the same; the exit handler's actions, which the model gives a vCPU, name the gfn of that
 * vCPU's exit; the actions that are not visible ({@link Action#visible()}: the hidden steps and Finished) have
 * no kernel step (the kernel runs the hidden ones inside the API call before them).
 */
public final class Steps {
  private Steps() {}

  /**
   * @param exitGfn the gfn vCPU v's pending exit is for (the trace layer knows it from the model state)
   */
  public static Optional<Step> of(Action a, IntUnaryOperator exitGfn) {
    if (!a.visible()) {
      return Optional.empty();
    }
    return Optional.of(switch (a) {
      case Action.Access x -> new Step.Access(x.vcpu(), x.gfn());
      case Action.KvmAccess x -> new Step.KvmAccess(x.vcpu(), x.gfn());
      case Action.Install x -> new Step.Install(exitGfn.applyAsInt(x.vcpu()));
      case Action.ClearBit x -> new Step.ClearBit(exitGfn.applyAsInt(x.vcpu()));
      case Action.ResumeVcpu x -> new Step.ResumeVcpu(x.vcpu());
      case Action.UffdRead x -> new Step.UffdRead(x.gfn());
      case Action.UffdInstall x -> new Step.UffdInstall(x.gfn());
      case Action.UffdWake x -> new Step.UffdWake(x.gfn());
      case Action.SetBit x -> new Step.SetBit(x.gfn());
      case Action.Invalidate x -> new Step.Invalidate(x.gfn());
      case Action.EnableUserfault x -> new Step.EnableUserfault();
      case Action.DisableUserfault x -> new Step.DisableUserfault();
      case Action.EnableDirtyLog x -> new Step.EnableDirtyLog();
      case Action.DisableDirtyLog x -> new Step.DisableDirtyLog();
      // The background fetch: the same calls as the uffd reader's install (it wakes) and the exit handler's clear.
      case Action.FetchInstall x -> new Step.UffdInstall(x.gfn());
      case Action.FetchClearBit x -> new Step.ClearBit(x.gfn());
      default -> throw new IllegalStateException("a visible action without a kernel step: " + a);
    });
  }
}
