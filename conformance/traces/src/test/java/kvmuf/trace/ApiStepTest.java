package kvmuf.trace;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.MutantId;
import kvmuf.model.Observation;
import kvmuf.model.State;
import kvmuf.model.StepObservation;
import kvmuf.model.ValueClass;
import org.junit.jupiter.api.Test;

/** Hand-worked API steps: the observation mapping of Observations, step by step, on small configs. */
class ApiStepTest {
  static final Observation DONE = new Observation.Done();
  static final Observation OK = new Observation.Ioctl("ok");

  /** A run of API steps, each with exactly one allowed observation. */
  static final class Run {
    final ApiModel api;
    State s;

    Run(Config c) {
      api = new ApiModel(c);
      s = api.init();
    }

    StepObservation step(Action a) {
      AllowedObservations al = api.allowed(s, a);
      assertThat(al.enabledIn()).as("%s enabled", a).isEqualTo(1);
      assertThat(al.observations()).as("%s deterministic here", a).hasSize(1);
      StepObservation o = al.sorted().getFirst();
      assertThat(al.byObservation().get(o)).hasSize(1);
      s = al.byObservation().get(o).iterator().next();
      return o;
    }

    void expect(Action a, Observation result, int p4, int p2) {
      expect(a, result, Map.of(), p4, p2);
    }

    void expect(Action a, Observation result, Map<String, Observation> unblocked, int p4, int p2) {
      assertThat(step(a)).as(a.toString()).isEqualTo(new StepObservation(result, unblocked, p4, p2));
    }
  }

  @Test
  void theUserfaultResolutionProtocol() {
    Run r = new Run(Config.load("small"));
    r.expect(new Action.SetBit(1), DONE, 0, 0);
    r.expect(new Action.EnableUserfault(), OK, 0, 0); // no SRCU reader: the commit runs in the step
    r.expect(new Action.Access(0, 1), new Observation.MemoryFaultExit(4096, 4096, List.of("USERFAULT")), 0, 0);
    r.expect(new Action.Install(0), OK, 0, 0);
    r.expect(new Action.ClearBit(0), DONE, 0, 0);
    r.expect(new Action.ResumeVcpu(0), DONE, 0, 0);
    // The page is there now: the retried access maps it 4K (USERFAULT is on) and reads fetched.
    r.expect(new Action.Access(0, 1), new Observation.Read(ValueClass.FETCHED), 1, 0);
  }

  @Test
  void aUffdCopyWakesEveryWaiterAndAnExitHandlersInstallMakesItEexist() {
    Run r = new Run(Config.load("small"));
    r.expect(new Action.Access(0, 0), new Observation.UffdBlocked(0), 0, 0);
    r.expect(new Action.KvmAccess(1, 0), new Observation.UffdBlocked(0), 0, 0);
    r.expect(new Action.UffdRead(0), new Observation.UffdEvent(0, List.of()), 0, 0);
    // Only gfn 0 is present: no huge frame; the vCPU maps 4K, KVM's own access maps nothing.
    r.expect(new Action.UffdInstall(0), OK,
        Map.of("vcpu0", new Observation.Read(ValueClass.FETCHED), "vcpu1", new Observation.KvmRead(ValueClass.FETCHED)), 1, 0);

    Run e = new Run(Config.load("small"));
    e.expect(new Action.SetBit(1), DONE, 0, 0);
    e.expect(new Action.EnableUserfault(), OK, 0, 0);
    e.expect(new Action.KvmAccess(1, 1), new Observation.UffdBlocked(4096), 0, 0); // KVM's access: no bitmap check
    e.expect(new Action.Access(0, 1), new Observation.MemoryFaultExit(4096, 4096, List.of("USERFAULT")), 0, 0);
    e.expect(new Action.Install(0), OK, 0, 0);
    e.expect(new Action.UffdRead(1), new Observation.UffdEvent(4096, List.of()), 0, 0);
    e.expect(new Action.UffdInstall(1), new Observation.Ioctl("EEXIST"), 0, 0); // R2: the exit handler won
    e.expect(new Action.UffdWake(1), OK, Map.of("vcpu1", new Observation.KvmRead(ValueClass.FETCHED)), 0, 0);
  }

  @Test
  void aMemslotUpdateWaitsForAnSrcuReaderAndCommitsWhenItFinishes() {
    Run r = new Run(Config.load("default"));
    r.expect(new Action.Access(0, 0), new Observation.UffdBlocked(0), 0, 0);
    r.expect(new Action.EnableDirtyLog(), new Observation.SrcuWait(), 0, 0);
    r.expect(new Action.UffdRead(0), new Observation.UffdEvent(0, List.of()), 0, 0);
    r.expect(new Action.UffdInstall(0), OK, Map.of("vcpu0", new Observation.Read(ValueClass.FETCHED), "vmm", OK), 1, 0);
  }

  @Test
  void anInvalidationDuringAUffdWaitMakesTheFaultRetryInsideKvmRun() {
    Run r = new Run(Config.load("default"));
    r.expect(new Action.KvmAccess(1, 1), new Observation.UffdBlocked(4096), 0, 0);
    r.expect(new Action.UffdRead(1), new Observation.UffdEvent(4096, List.of()), 0, 0);
    r.expect(new Action.UffdInstall(1), OK, Map.of("vcpu1", new Observation.KvmRead(ValueClass.FETCHED)), 0, 0);
    r.expect(new Action.Access(0, 0), new Observation.UffdBlocked(0), 0, 0);
    r.expect(new Action.InvalidateBegin(1), OK, 0, 0); // mmu_invalidate_seq moves on
    r.expect(new Action.UffdRead(0), new Observation.UffdEvent(0, List.of()), 0, 0);
    // the retry (RET_PF_RETRY) faults again inside KVM_RUN: the woken vCPU's access completes
    r.expect(new Action.UffdInstall(0), OK, Map.of("vcpu0", new Observation.Read(ValueClass.FETCHED)), 1, 0);
  }

  @Test
  void hugeMappingsAreCountedPerFrameAndSplitByDirtyLogging() {
    Run r = new Run(Config.load("default"));
    r.expect(new Action.KvmAccess(1, 0), new Observation.UffdBlocked(0), 0, 0);
    r.step(new Action.UffdRead(0));
    r.expect(new Action.UffdInstall(0), OK, Map.of("vcpu1", new Observation.KvmRead(ValueClass.FETCHED)), 0, 0);
    r.expect(new Action.Access(0, 1), new Observation.UffdBlocked(4096), 0, 0);
    r.step(new Action.UffdRead(1));
    // Both gfns of the frame are present and nothing forces 4K: the fault maps the whole frame (2M).
    r.expect(new Action.UffdInstall(1), OK, Map.of("vcpu0", new Observation.Read(ValueClass.FETCHED)), 0, 1);
    r.expect(new Action.EnableDirtyLog(), OK, 2, 0); // the commit splits it into 4K pages
  }

  @Test
  void minorFaultsCarryTheMinorFlagAndMutantsShowInObservations() {
    // small-arm64 sets every bit from the start and never invalidates: it reaches userfaultfd in MINOR
    // mode only after a DisableUserfault with bits still set (an abort); read the rule off a state directly.
    Config arm = Config.load("small-arm64");
    State init = new ApiModel(arm).init();
    assertThat(kvmuf.model.Observations.result(arm, new Action.UffdRead(1).code(), init.view(), init.view()))
        .contains(new Observation.UffdEvent(4096, List.of("MINOR")));
    assertThat(Observation.possibleKinds(arm)).contains(Observation.Kind.UFFD_EVENT);
    int events = 0;
    for (Trace t : TraceTestSupport.corpus("small", Generator.Strategy.COVERAGE, 2, 100, 40)) {
      for (TraceStep st : t.steps()) {
        for (StepObservation o : st.observations()) {
          if (o.result() instanceof Observation.UffdEvent e) {
            assertThat(e.flags()).isEmpty();
            assertThat(e.address()).isEqualTo(4096L * ((Action.UffdRead) st.action()).gfn());
            events++;
          }
        }
      }
    }
    assertThat(events).as("the corpus reads uffd events").isPositive();

    Run w = new Run(Config.load("small").withMutants(java.util.Set.of(MutantId.WrongExitFlags)));
    w.step(new Action.SetBit(0));
    w.step(new Action.EnableUserfault());
    assertThat(w.step(new Action.Access(0, 0)).result()).isEqualTo(new Observation.MemoryFaultExit(0, 4096, List.of()));
  }
}
