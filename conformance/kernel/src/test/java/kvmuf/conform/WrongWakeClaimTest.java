package kvmuf.conform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import kvmuf.kvm.Kvm;
import kvmuf.model.Action;
import kvmuf.model.Observation;
import kvmuf.model.Observations;
import kvmuf.model.StepObservation;
import kvmuf.model.ValueClass;
import kvmuf.trace.ModelTarget;
import kvmuf.trace.Replayer;
import kvmuf.trace.Target;
import kvmuf.trace.Trace;
import kvmuf.trace.TraceStep;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * "Woken" and "not woken" are decided exactly: a generated trace whose UffdInstall / UffdWake step wrongly
 * claims that a vCPU asleep in userfaultfd was woken (it was not), or that the vCPU it woke was not woken,
 * diverges at exactly that step, on the model target and on the kernel target ({@link SleepEvidence} must
 * tell a sleeper that was not woken from one that was, with no settle time to hide behind).
 */
@Timeout(300)
class WrongWakeClaimTest {
  /** A trace, the step whose expectation was altered, the vCPU the lie is about, and whether it claims "woken". */
  record Altered(Trace trace, int step, String vcpu, boolean claimsWoken) {}

  @Test
  void theModelTargetRejectsBothLies() {
    for (boolean woken : new boolean[] {true, false}) {
      Altered a = find(woken);
      check(a, new ModelTarget(ModelTarget.Choice.FIRST));
    }
  }

  @Test
  @Tag("kvm")
  void theKernelTargetRejectsBothLies() {
    String noKvm = Kvm.unavailableReason();
    if (noKvm != null) System.err.println("[skipped] WrongWakeClaimTest kernel: " + noKvm);
    assumeTrue(noKvm == null, noKvm);
    for (boolean woken : new boolean[] {true, false}) {
      try (KernelTarget target = new KernelTarget(Optional.empty())) {
        check(find(woken), target);
      }
    }
  }

  private static void check(Altered a, Target target) {
    Replayer.Result res = new Replayer(target).replay(a.trace(), null);
    assertThat(res.divergence()).as("%s: the lie at step %d about %s (claims woken: %b)", target.name(), a.step(), a.vcpu(), a.claimsWoken())
        .hasValueSatisfying(d -> {
          assertThat(d.step()).isEqualTo(a.step());
          StepObservation observed = d.observed().orElseThrow();
          if (a.claimsWoken()) assertThat(observed.unblocked()).doesNotContainKey(a.vcpu());
          else assertThat(observed.unblocked()).containsKey(a.vcpu());
        });
    assertThat(res.stepsReplayed()).as("the steps before it matched").isEqualTo(a.step() + 1);
  }

  /**
   * The first conform-upstream trace (seeds 1.., 40 traces each) with a UffdInstall or UffdWake step of one
   * allowed observation where a vCPU asleep in userfaultfd is not woken ({@code claimsWoken}: the lie adds it
   * as woken, its read fetched) or where one is woken (the lie removes it).
   */
  static Altered find(boolean claimsWoken) {
    for (long seed = 1; seed < 20; seed++) {
      for (Trace t : KernelTraceReplayTest.traces("conform-upstream", seed, 40)) {
        Set<String> asleep = new HashSet<>();
        for (TraceStep s : t.steps()) {
          if (s.observations().size() != 1) break; // keep to steps whose outcome the model fixes
          StepObservation o = s.observations().getFirst();
          boolean wake = s.action() instanceof Action.UffdInstall || s.action() instanceof Action.UffdWake;
          if (wake && claimsWoken) {
            Optional<String> sleeper = asleep.stream().filter(v -> !o.unblocked().containsKey(v)).sorted().findFirst();
            if (sleeper.isPresent()) {
              Map<String, Observation> lie = new HashMap<>(o.unblocked());
              lie.put(sleeper.get(), new Observation.Read(ValueClass.FETCHED));
              return new Altered(alter(t, s.i(), o, lie), s.i(), sleeper.get(), true);
            }
          }
          if (wake && !claimsWoken) {
            Optional<String> woken = o.unblocked().keySet().stream().filter(v -> v.startsWith("vcpu")).sorted().findFirst();
            if (woken.isPresent()) {
              Map<String, Observation> lie = new HashMap<>(o.unblocked());
              lie.remove(woken.get());
              return new Altered(alter(t, s.i(), o, lie), s.i(), woken.get(), false);
            }
          }
          if (s.action() instanceof Action.Access a && o.result() instanceof Observation.UffdBlocked) asleep.add(Observations.vcpuActor(a.vcpu()));
          o.unblocked().forEach((who, what) -> {
            if (!(what instanceof Observation.UffdBlocked)) asleep.remove(who);
          });
        }
      }
    }
    throw new AssertionError("no conform-upstream trace has such a step");
  }

  private static Trace alter(Trace t, int j, StepObservation was, Map<String, Observation> unblocked) {
    List<TraceStep> steps = new ArrayList<>(t.steps());
    StepObservation lie = new StepObservation(was.result(), unblocked, was.pages4k(), was.pages2m());
    steps.set(j, TraceStep.expect(j, steps.get(j).action(), List.of(lie)));
    return new Trace("altered", t.header(), steps);
  }
}
