package kvmuf.conform.concurrent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import kvmuf.kvm.Kvm;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.Observation;
import kvmuf.model.StepObservation;
import kvmuf.model.ValueClass;
import kvmuf.trace.Target;
import kvmuf.trace.Trace;
import kvmuf.trace.TraceCodec;
import kvmuf.trace.TraceStep;
import kvmuf.trace.Validator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * conform --concurrent's engine on this machine's kernel: free-running vCPU, uffd handler and VMM threads on
 * conform-upstream produce logs the validator accepts, whose lines are what the workload did; the same real logs
 * with one read altered are rejected at that line; configs this kernel cannot run are unsupported, not run.
 * Skips visibly without /dev/kvm.
 */
@Tag("kvm")
@Timeout(600)
class ConcurrentConformHostTest {
  static final int RUNS = 16;

  @BeforeAll
  static void needKvm() {
    String noKvm = Kvm.unavailableReason();
    if (noKvm != null) System.err.println("[skipped] ConcurrentConformHostTest: " + noKvm);
    assumeTrue(noKvm == null, noKvm);
  }

  @Test
  void kvmsOwnReadsRunConcurrentlyAndTheValidatorAcceptsThem() {
    // conform-kvm-access: a vCPU's read is the guest's or KVM's own (string port I/O KVM emulates), as the seed says.
    Config c = Config.load("conform-kvm-access");
    ConcurrentConform.Outcome o = new ConcurrentConform(c, 2, Optional.empty(), Optional.empty(), ConcurrentConform.DEFAULT_PATIENCE)
        .run(RUNS, r -> {});
    int kvmReads = 0;
    for (ConcurrentConform.RunResult r : o.runs()) {
      assertThat(r.verdict()).as("%s (%s): %s", r.name(), r.workload().describe(), r.reason().orElse("-"))
          .isEqualTo(ConcurrentConform.Verdict.VALID);
      for (TraceStep s : r.log().orElseThrow().steps()) {
        if (s.action() instanceof Action.KvmAccess) {
          assertThat(s.observed().result()).as("KVM read the page the handler installed").isEqualTo(new Observation.KvmRead(ValueClass.FETCHED));
          kvmReads++;
        }
      }
    }
    assertThat(kvmReads).as("the runs made KVM read guest memory itself").isGreaterThan(RUNS / 2);
  }

  /**
   * KVM Userfault under free-running threads (conform-userfault-2vcpu: the VMM marks gfns and enables USERFAULT
   * while two vCPUs read, each vCPU its own exit handler, a uffd handler): on a kernel with KVM_CAP_USERFAULT (our
   * reference kernel in CI's VM stage) every run is valid and the logs hold USERFAULT exits, each followed by its
   * vCPU's Install, ClearBit and ResumeVcpu; elsewhere every run is unsupported, naming the capability.
   */
  @Test
  void userfaultExitsUnderFreeRunningThreadsAreValidWhereTheKernelHasKvmUserfault() {
    Config c = Config.load("conform-userfault-2vcpu");
    boolean hasUserfault;
    try (Kvm kvm = Kvm.open()) {
      hasUserfault = kvmuf.kvm.UapiProfile.detect(kvm).hasUserfault();
    }
    ConcurrentConform.Outcome o = new ConcurrentConform(c, 5, Optional.empty(), Optional.empty(), ConcurrentConform.DEFAULT_PATIENCE)
        .run(RUNS, r -> {});
    if (!hasUserfault) {
      assertThat(o.runs()).allSatisfy(r -> {
        assertThat(r.verdict()).isEqualTo(ConcurrentConform.Verdict.UNSUPPORTED);
        assertThat(r.reason().orElseThrow()).contains("KVM_CAP_USERFAULT not offered by this kernel");
      });
      return;
    }
    for (ConcurrentConform.RunResult r : o.runs()) {
      assertThat(r.verdict()).as("%s (%s): %s", r.name(), r.workload().describe(), r.reason().orElse("-"))
          .isEqualTo(ConcurrentConform.Verdict.VALID);
      List<TraceStep> steps = r.log().orElseThrow().steps();
      for (int i = 0; i < steps.size(); i++) {
        if (steps.get(i).observed().result() instanceof Observation.MemoryFaultExit m && m.flags().contains("USERFAULT")) {
          int v = steps.get(i).action().actingVcpu();
          List<String> handler = steps.subList(i + 1, steps.size()).stream().filter(s -> s.action().actingVcpu() == v)
              .limit(3).map(s -> s.action().name()).toList();
          assertThat(handler).as("%s: vCPU %d's lines after its exit at step %d", r.name(), v, i).containsExactly("Install", "ClearBit", "ResumeVcpu");
        }
      }
    }
    assertThat(o.userfaultExits()).as("USERFAULT exits logged in %d runs", RUNS).isPositive();
  }

  /**
   * The migration stream under free-running threads (gmem-fetch: guest_memfd, every bit set from the start, a
   * background fetch thread installing and clearing while two vCPUs exit and resolve): valid on a kernel with KVM
   * Userfault and guest_memfd MMAP, with FetchInstall and USERFAULT exits logged; elsewhere unsupported, with why.
   */
  @Test
  void theBackgroundFetchRacesExitHandlersValidlyWhereTheKernelHasKvmUserfault() {
    Config c = Config.load("gmem-fetch");
    ConcurrentConform.Outcome o = new ConcurrentConform(c, 3, Optional.empty(), Optional.empty(), ConcurrentConform.DEFAULT_PATIENCE)
        .run(RUNS, r -> {});
    if (o.count(ConcurrentConform.Verdict.UNSUPPORTED) == RUNS) {
      assertThat(o.runs().getFirst().reason().orElseThrow()).containsAnyOf("KVM_CAP_USERFAULT", "guest_memfd", "GUEST_MEMFD");
      return;
    }
    assertThat(o.runs()).allSatisfy(r -> assertThat(r.verdict()).as("%s (%s): %s", r.name(), r.workload().describe(),
        r.reason().orElse("-")).isEqualTo(ConcurrentConform.Verdict.VALID));
    assertThat(o.actions().get("FetchInstall")).as("background fetches logged").isPositive();
    assertThat(o.actions().get("FetchClearBit")).isEqualTo(o.actions().get("FetchInstall"));
    assertThat(o.userfaultExits()).as("USERFAULT exits logged").isPositive();
  }

  @Test
  void conformUpstreamRunsLogWhatTheThreadsDidAndTheValidatorAcceptsIt(@TempDir Path dir) {
    Config c = Config.load("conform-upstream");
    ConcurrentConform.Outcome o = new ConcurrentConform(c, 1, Optional.empty(), Optional.of(dir), ConcurrentConform.DEFAULT_PATIENCE)
        .run(RUNS, r -> {});
    assertThat(o.runs()).hasSize(RUNS);
    Set<Resolution> resolutions = new HashSet<>();
    int sharedFaults = 0;
    int memslotUpdates = 0;
    for (ConcurrentConform.RunResult r : o.runs()) {
      Validator.Result v = r.validation().orElseThrow();
      assertThat(r.verdict()).as("%s (%s): %s, first unexplained step %d", r.name(), r.workload().describe(),
          r.reason().orElse("-"), v.firstUnexplained()).isEqualTo(ConcurrentConform.Verdict.VALID);
      Trace t = r.log().orElseThrow();
      Workload w = r.workload();
      // every guest read of the workload completed, after the handler installed the page: fetched
      for (int vcpu = 0; vcpu < w.vcpus(); vcpu++) {
        List<Integer> read = new ArrayList<>();
        for (TraceStep s : t.steps()) {
          if (s.action() instanceof Action.Access a && a.vcpu() == vcpu) {
            assertThat(s.observed().result()).isEqualTo(new Observation.Read(ValueClass.FETCHED));
            read.add(a.gfn());
          }
        }
        assertThat(read).as("vcpu%d's reads in log order", vcpu).isEqualTo(w.reads().get(vcpu));
      }
      // each page the vCPUs touched faulted once into userfaultfd and was installed once (MISSING: nothing else maps it)
      Set<Integer> touched = new HashSet<>();
      w.reads().forEach(touched::addAll);
      for (int g : touched) {
        assertThat(count(t, new Action.UffdRead(g))).as("UffdRead g%d", g).isEqualTo(1);
        assertThat(count(t, new Action.UffdInstall(g))).as("UffdInstall g%d", g).isEqualTo(1);
        resolutions.add(w.resolutions().get(g));
      }
      assertThat(t.steps()).hasSize(w.accesses() + 2 * touched.size() + w.vmm().size());
      assertThat(t.steps()).allSatisfy(s -> assertThat(s.observed().pages4k()).isEqualTo(Target.PAGES_NOT_OBSERVED));
      memslotUpdates += w.vmm().size();
      if (w.vcpus() > 1 && w.reads().get(0).stream().anyMatch(w.reads().get(1)::contains)) sharedFaults++;

      // written where --out said, byte for byte the log validated
      Path f = dir.resolve(ConcurrentConform.fileName(r.name()));
      assertThat(r.file()).contains(f);
      assertThat(TraceCodec.toText(TraceCodec.read(f))).isEqualTo(TraceCodec.toText(t));
      assertThat(TraceCodec.read(f).header().generator()).isEqualTo(ConcurrentLog.GENERATOR);

      // the validator is not vacuous on real logs: the first read claimed zero-filled is rejected at its line
      int k = firstAccess(t);
      List<TraceStep> steps = new ArrayList<>(t.steps());
      StepObservation zero = new StepObservation(new Observation.Read(ValueClass.ZERO), Map.of(), Target.PAGES_NOT_OBSERVED,
          Target.PAGES_NOT_OBSERVED);
      steps.set(k, TraceStep.observed(k, steps.get(k).action(), zero));
      Validator.Result bad = new Validator().validate(t.withSteps(steps));
      assertThat(bad.rejected()).as(r.name()).isTrue();
      assertThat(bad.firstUnexplained()).isEqualTo(k);
    }
    assertThat(o.count(ConcurrentConform.Verdict.VALID)).isEqualTo(RUNS);
    assertThat(resolutions).as("both ways of resolving a fault ran").containsExactlyInAnyOrder(Resolution.values());
    assertThat(sharedFaults).as("runs where both vCPUs read the same page").isPositive();
    assertThat(memslotUpdates).as("dirty-log toggles by the VMM thread").isPositive();
  }

  @Test
  void configsThisKernelCannotRunAreUnsupportedNeverRun() {
    boolean hasUserfault;
    try (Kvm kvm = Kvm.open()) {
      hasUserfault = kvmuf.kvm.UapiProfile.detect(kvm).hasUserfault();
    }
    // small-dirty (KVM Userfault from the start) runs concurrently where the kernel has KVM_CAP_USERFAULT
    for (String name : hasUserfault ? List.of("apf-uffd", "small-arm64") : List.of("apf-uffd", "small-arm64", "small-dirty")) {
      ConcurrentConform.RunResult r = new ConcurrentConform(Config.load(name), 1, Optional.empty(), Optional.empty(),
          ConcurrentConform.DEFAULT_PATIENCE).runOne(0);
      assertThat(r.verdict()).as(name).isEqualTo(ConcurrentConform.Verdict.UNSUPPORTED);
      assertThat(r.log()).isEmpty();
      assertThat(r.reason()).as(name).isPresent();
    }
    ConcurrentConform.RunResult apf = new ConcurrentConform(Config.load("apf-uffd"), 1, Optional.empty(), Optional.empty(),
        ConcurrentConform.DEFAULT_PATIENCE).runOne(0);
    assertThat(apf.reason().orElseThrow()).contains("AsyncPf = kernel");
  }

  static long count(Trace t, Action a) {
    return t.steps().stream().filter(s -> s.action().equals(a)).count();
  }

  static int firstAccess(Trace t) {
    for (TraceStep s : t.steps()) {
      if (s.action() instanceof Action.Access) return s.i();
    }
    throw new AssertionError("no Access line");
  }
}
