package kvmuf.conform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import kvmuf.kvm.Kvm;
import kvmuf.model.Config;
import kvmuf.model.Observation;
import kvmuf.model.StepObservation;
import kvmuf.model.ValueClass;
import kvmuf.trace.Generator;
import kvmuf.trace.Replayer;
import kvmuf.trace.Target;
import kvmuf.trace.Trace;
import kvmuf.trace.TraceStep;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Model-generated traces replayed on this machine's kernel ({@link KernelTarget}): conform-upstream
 * traces match step for step; an altered expectation diverges at exactly its step; steps the kernel cannot
 * run stop the trace and are counted as unsupported, never as passed. Skips visibly without /dev/kvm.
 */
@Tag("kvm")
@Timeout(300)
class KernelTraceReplayTest {
  @BeforeAll
  static void needKvm() {
    String noKvm = Kvm.unavailableReason();
    if (noKvm != null) System.err.println("[skipped] KernelTraceReplayTest: " + noKvm);
    assumeTrue(noKvm == null, noKvm);
  }

  static List<Trace> traces(String config, long seed, int count) {
    Config c = Config.load(config);
    Generator g = new Generator(c, Generator.Strategy.RANDOM, seed, Generator.defaultProfile(c), 50);
    List<Trace> out = new ArrayList<>();
    for (int k = 0; k < count; k++) out.add(g.generate(k));
    return out;
  }

  @Test
  void generatedConformUpstreamTracesReplayOnTheKernelWithoutDivergence() {
    List<Trace> ts = traces("conform-upstream", 7, 12);
    int steps = 0;
    boolean sawSrcuWait = false;
    try (KernelTarget target = new KernelTarget(Optional.empty())) {
      Replayer r = new Replayer(target);
      for (Trace t : ts) {
        Replayer.Result res = r.replay(t, null);
        assertThat(res.divergence()).as("divergence in a conform-upstream trace").isEmpty();
        assertThat(res.violation()).isEmpty();
        assertThat(res.unsupported()).as("upstream kernels run every conform-upstream step").isEmpty();
        assertThat(res.stepsReplayed()).isEqualTo(t.steps().size());
        // pages_4k is never observed, and a slot filled by UFFDIO_COPY has 4K host pages, so KVM maps no 2M and
        // pages_2m (0) says nothing either: every step's counts are unchecked, not compared
        assertThat(res.pagesUnchecked()).isEqualTo(res.stepsReplayed());
        assertThat(res.recorded().steps()).allSatisfy(s -> assertThat(s.observed().pages2m()).isEqualTo(Target.PAGES_NOT_OBSERVED));
        steps += res.stepsReplayed();
        sawSrcuWait |= res.recorded().steps().stream().anyMatch(s -> s.observed().result() instanceof Observation.SrcuWait);
        assertThat(res.recorded().steps()).allSatisfy(s -> assertThat(s.observed().pages4k()).isEqualTo(Target.PAGES_NOT_OBSERVED));
      }
    }
    assertThat(steps).isGreaterThan(50);
    // the kernel really parks a flags-only memslot update in synchronize_srcu behind a vCPU asleep in userfaultfd
    assertThat(sawSrcuWait).isTrue();
  }

  @Test
  void kvmsOwnReadsReplayOnTheKernel() {
    // conform-kvm-access: KvmAccess steps are the guest agent's string port I/O, which KVM emulates by reading
    // guest memory itself (a missing page sleeps in userfaultfd; no exit, no stage-2 mapping).
    int kvmReads = 0;
    try (KernelTarget target = new KernelTarget(Optional.empty())) {
      Replayer r = new Replayer(target);
      for (Trace t : traces("conform-kvm-access", 3, 12)) {
        Replayer.Result res = r.replay(t, null);
        assertThat(res.divergence()).as("divergence in a conform-kvm-access trace").isEmpty();
        assertThat(res.unsupported()).isEmpty();
        assertThat(res.stepsReplayed()).isEqualTo(t.steps().size());
        kvmReads += (int) res.recorded().steps().stream().filter(s -> s.action() instanceof kvmuf.model.Action.KvmAccess).count();
      }
    }
    assertThat(kvmReads).as("the traces make KVM read guest memory itself").isGreaterThan(5);
  }

  @Test
  void anAlteredExpectationDivergesAtExactlyThatStep() {
    Trace t = traces("conform-upstream", 7, 1).getFirst();
    int j = -1;
    for (TraceStep s : t.steps()) {
      if (s.i() >= 2 && s.observations().size() == 1 && s.observations().getFirst().result() instanceof Observation.UffdBlocked) {
        j = s.i();
        break;
      }
    }
    assertThat(j).as("trace 0 has an access that sleeps in userfaultfd after step 2").isGreaterThanOrEqualTo(2);
    List<TraceStep> steps = new ArrayList<>(t.steps());
    StepObservation was = steps.get(j).observations().getFirst();
    StepObservation lie = new StepObservation(new Observation.Read(ValueClass.ZERO), Map.of(), was.pages4k(), was.pages2m());
    steps.set(j, TraceStep.expect(j, steps.get(j).action(), List.of(lie)));
    Trace altered = new Trace("altered", t.header(), steps);
    try (KernelTarget target = new KernelTarget(Optional.empty())) {
      Replayer.Result res = new Replayer(target).replay(altered, null);
      assertThat(res.divergence()).isPresent();
      assertThat(res.divergence().get().step()).isEqualTo(j);
      assertThat(res.stepsReplayed()).isEqualTo(j + 1);
      // the kernel ran the step and showed what the model allows, not the altered expectation
      assertThat(res.divergence().get().observed()).isPresent();
      assertThat(res.divergence().get().observed().get().result()).isEqualTo(was.result());
      assertThat(res.divergence().get().expected()).extracting(StepObservation::result).containsExactly(was.result());
      // the steps before it ran on the kernel and matched
      assertThat(res.recorded().steps()).hasSize(j + 1);
    }
  }

  @Test
  void aStepTheModelDoesNotEnableIsADivergenceNotACrash() {
    Trace t = traces("conform-upstream", 7, 1).getFirst();
    TraceStep first = t.steps().getFirst();
    assertThat(first.action()).isInstanceOf(kvmuf.model.Action.Access.class);
    assertThat(first.observations().getFirst().result()).isInstanceOf(Observation.UffdBlocked.class);
    int v = ((kvmuf.model.Action.Access) first.action()).vcpu();
    // the same vCPU accesses again while its first access sleeps in userfaultfd
    Trace bad = new Trace("bad", t.header(), List.of(first, TraceStep.expect(1, new kvmuf.model.Action.Access(v, 0), first.observations())));
    try (KernelTarget target = new KernelTarget(Optional.empty())) {
      Replayer.Result res = new Replayer(target).replay(bad, null);
      assertThat(res.divergence()).hasValueSatisfying(d -> {
        assertThat(d.step()).isEqualTo(1);
        assertThat(d.reason()).contains("does not enable");
        assertThat(d.observed().orElseThrow().result()).isEqualTo(new Observation.OtherExit(
            "the kernel target refused Access(v" + v + ", g0): Access(v" + v + "): vCPU " + v + " has an access in flight"));
      });
    }
  }

  @Test
  void stepsTheKernelCannotRunAreCountedUnsupportedNeverPassed() {
    try (KernelTarget target = new KernelTarget(Optional.empty())) {
      Replayer r = new Replayer(target);
      int unsupported = 0;
      for (Trace t : traces("small", 1, 6)) {
        Replayer.Result res = r.replay(t, null);
        assertThat(res.divergence()).isEmpty();
        if (res.unsupported().isEmpty()) continue; // a kernel with KVM_CAP_USERFAULT may run the whole trace
        unsupported++;
        Replayer.Unsupported u = res.unsupported().get();
        assertThat(u.reason()).isNotBlank();
        assertThat(res.stepsReplayed()).as("steps run before the unsupported one").isEqualTo(u.step());
        assertThat(res.stepsReplayed()).isLessThan(t.steps().size());
        assertThat(res.recorded().steps()).hasSize(u.step());
      }
      if (!kvmuf.kvm.UserfaultEvidence.ofThisKernel().profile().hasUserfault()) {
        assertThat(unsupported).as("config small uses USERFAULT: its traces stop, unsupported, without KVM_CAP_USERFAULT").isEqualTo(6);
      }
      // a config this target cannot set up at all: every trace stops at step 0 with the reason
      for (Trace t : traces("apf-uffd", 1, 2)) {
        Replayer.Result res = r.replay(t, null);
        assertThat(res.ok()).isTrue();
        assertThat(res.stepsReplayed()).isZero();
        assertThat(res.unsupported()).hasValueSatisfying(u -> {
          assertThat(u.step()).isZero();
          assertThat(u.reason()).contains("AsyncPf = kernel");
        });
      }
    }
  }

  /** Traces of {@code c}, generated in-process (configs the kit does not ship as files). */
  static List<Trace> traces(Config c, long seed, int count) {
    Generator g = new Generator(c, Generator.Strategy.RANDOM, seed, Generator.defaultProfile(c), 50);
    List<Trace> out = new ArrayList<>();
    for (int k = 0; k < count; k++) out.add(g.generate(k));
    return out;
  }

  /** Why this machine cannot build a guest_memfd slot with MMAP and INIT_SHARED, or null. */
  static String noGuestMemfd() {
    try (Kvm kvm = Kvm.open()) {
      return kvmuf.kvm.SlotMemory.guestMemfdUnsupported(kvm).orElse(null);
    }
  }

  /**
   * A guest_memfd slot (MMAP | INIT_SHARED) whose two vCPUs read it with no USERFAULT: every read is the
   * INIT_SHARED zero page, on every kernel with the flags (this machine's 6.18 too); an expectation changed to
   * the fetched contents diverges at exactly that step.
   */
  @Test
  void guestMemfdTracesReplayAndAWrongExpectationDiverges() {
    String no = noGuestMemfd();
    if (no != null) System.err.println("[skipped] guest_memfd traces: " + no);
    assumeTrue(no == null, no);
    Config gmem = ModelConfigs.of("gmem-reads", 2, Config.SlotKind.GMEM, Config.UffdMode.NONE, Config.UserfaultUse.NONE, false, false);
    List<Trace> ts = traces(gmem, 3, 4);
    try (KernelTarget target = new KernelTarget(Optional.empty())) {
      Replayer r = new Replayer(target);
      for (Trace t : ts) {
        Replayer.Result res = r.replay(t, null);
        assertThat(res.divergence()).as("divergence in a guest_memfd trace").isEmpty();
        assertThat(res.unsupported()).isEmpty();
        assertThat(res.stepsReplayed()).isEqualTo(t.steps().size()).isGreaterThan(3);
        assertThat(res.recorded().steps()).allSatisfy(s -> assertThat(s.observed().result()).isEqualTo(new Observation.Read(ValueClass.ZERO)));
      }
      Trace t = ts.getFirst();
      int j = 2;
      List<TraceStep> steps = new ArrayList<>(t.steps());
      StepObservation was = steps.get(j).observations().getFirst();
      StepObservation lie = new StepObservation(new Observation.Read(ValueClass.FETCHED), Map.of(), was.pages4k(), was.pages2m());
      steps.set(j, TraceStep.expect(j, steps.get(j).action(), List.of(lie)));
      Replayer.Result res = r.replay(new Trace("altered", t.header(), steps), null);
      assertThat(res.divergence()).hasValueSatisfying(d -> {
        assertThat(d.step()).isEqualTo(j);
        assertThat(d.observed().orElseThrow().result()).isEqualTo(new Observation.Read(ValueClass.ZERO));
      });
    }
  }

  /**
   * The shipped guest_memfd post-copy config (USERFAULT from the start, fetched pages written through the
   * guest_memfd mapping, background fetch, punch holes): on a kernel with KVM_CAP_USERFAULT every trace
   * passes; elsewhere every trace stops at step 0, unsupported with the reason (never passed).
   */
  @Test
  void gmemFetchTracesPassWithUserfaultAndAreUnsupportedWithoutIt() {
    String no = noGuestMemfd();
    assumeTrue(no == null, no);
    boolean userfault = kvmuf.kvm.UserfaultEvidence.ofThisKernel().profile().hasUserfault();
    int passed = 0;
    try (KernelTarget target = new KernelTarget(Optional.empty())) {
      Replayer r = new Replayer(target);
      for (Trace t : traces("gmem-fetch", 1, 10)) {
        Replayer.Result res = r.replay(t, null);
        assertThat(res.divergence()).as("divergence in gmem-fetch " + t.source()).isEmpty();
        if (userfault) {
          assertThat(res.unsupported()).as("unsupported in gmem-fetch " + t.source()).isEmpty();
          assertThat(res.stepsReplayed()).isEqualTo(t.steps().size());
          passed++;
        } else {
          assertThat(res.unsupported()).hasValueSatisfying(u -> {
            assertThat(u.step()).isZero();
            assertThat(u.reason()).contains("KVM_CAP_USERFAULT not offered");
          });
        }
      }
    }
    if (userfault) assertThat(passed).isEqualTo(10);
  }

  /**
   * USERFAULT toggled on a guest_memfd slot by flags-only updates (UserfaultUse = late: SetBit, EnableUserfault,
   * DisableUserfault), which must keep the slot bound to its guest_memfd: with KVM_CAP_USERFAULT the traces pass
   * and enable USERFAULT at least once; without it they stop, unsupported, at their first USERFAULT step.
   */
  @Test
  void userfaultTogglesOnAGuestMemfdSlotKeepItBound() {
    String no = noGuestMemfd();
    assumeTrue(no == null, no);
    boolean userfault = kvmuf.kvm.UserfaultEvidence.ofThisKernel().profile().hasUserfault();
    Config late = ModelConfigs.of("gmem-late", 1, Config.SlotKind.GMEM, Config.UffdMode.NONE, Config.UserfaultUse.LATE, false, false);
    int enables = 0;
    try (KernelTarget target = new KernelTarget(Optional.empty())) {
      Replayer r = new Replayer(target);
      for (Trace t : traces(late, 5, 8)) {
        Replayer.Result res = r.replay(t, null);
        assertThat(res.divergence()).as("divergence in gmem-late").isEmpty();
        if (userfault) {
          assertThat(res.unsupported()).isEmpty();
          enables += (int) t.steps().stream().filter(s -> s.action() instanceof kvmuf.model.Action.EnableUserfault).count();
        } else if (res.unsupported().isPresent()) {
          assertThat(res.unsupported().get().reason()).contains("KVM_CAP_USERFAULT not offered");
        }
      }
    }
    if (userfault) assertThat(enables).as("EnableUserfault steps replayed").isPositive();
  }
}
