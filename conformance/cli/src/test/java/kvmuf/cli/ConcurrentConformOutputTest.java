package kvmuf.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import kvmuf.conform.concurrent.ConcurrentConform;
import kvmuf.conform.concurrent.ConcurrentConform.RunResult;
import kvmuf.conform.concurrent.ConcurrentConform.Verdict;
import kvmuf.conform.concurrent.ConcurrentLog;
import kvmuf.conform.concurrent.Resolution;
import kvmuf.conform.concurrent.Workload;
import kvmuf.conform.run.ConcurrentConformRun;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.Observation;
import kvmuf.model.ValueClass;
import kvmuf.trace.Trace;
import kvmuf.trace.Validator;
import org.junit.jupiter.api.Test;

/** How conform --concurrent reports a divergent run, in text and JSON (no kernel: the runs are made up). */
class ConcurrentConformOutputTest {
  static final Workload W = new Workload(List.of(List.of(0), List.of()), List.of(Resolution.COPY, Resolution.COPY), List.of(),
      List.of(0, 0, 0));

  /** vCPU0 read g0 after the handler installed it, and (corrupted) saw a zero-filled page. */
  static RunResult divergent() {
    ConcurrentLog log = new ConcurrentLog(Config.load("conform-upstream"), 1, "upstream");
    log.holding(() -> {
      log.append(new Action.UffdRead(0), new Observation.UffdEvent(0, List.of()));
      log.append(new Action.UffdInstall(0), new Observation.Ioctl("ok"));
      return null;
    });
    log.append(new Action.Access(0, 0), new Observation.Read(ValueClass.ZERO));
    Trace t = log.trace("run-000003");
    return new RunResult("run-000003", W, Verdict.DIVERGENT, Optional.of(t), Optional.of(new Validator().validate(t)), Optional.empty(),
        Optional.of(Path.of("/tmp/logs/run-000003.concurrent.ndjson")));
  }

  @Test
  void aDivergentRunNamesItsStepWithExpectedAndObserved() throws Exception {
    List<String> text = ConcurrentConformRun.lines(divergent());
    assertThat(text.getFirst()).isEqualTo(
        "run-000003: DIVERGENCE at step 2 (line 4): vcpu0 Access {\"gfn\":0} is not explained by any behaviour of the model");
    assertThat(String.join("\n", text))
        .contains("expected (model allows): {\"kind\":\"read\",\"value\":\"fetched\"")
        .contains("observed:                {\"kind\":\"read\",\"value\":\"zero\"")
        .contains("longest explained prefix: 2 of 3 steps")
        .contains("kvmuf traces validate --in /tmp/logs/run-000003.concurrent.ndjson");

    ConcurrentConform.Outcome o = new ConcurrentConform.Outcome(List.of(divergent()));
    JsonNode j = Json.mapper().valueToTree(ConcurrentConformRun.json(o));
    assertThat(j.path("counts").path("runs").asInt()).isEqualTo(1);
    assertThat(j.path("counts").path("divergent").asInt()).isEqualTo(1);
    assertThat(j.path("counts").path("eventsLogged").asInt()).isEqualTo(3);
    JsonNode f = j.path("failures").get(0);
    assertThat(f.path("run").asText()).isEqualTo("run-000003");
    assertThat(f.path("step").asInt()).isEqualTo(2);
    assertThat(f.path("line").asInt()).isEqualTo(4);
    assertThat(f.path("observed").path("value").asText()).isEqualTo("zero");
    assertThat(f.path("expected").get(0).path("value").asText()).isEqualTo("fetched");
    assertThat(ConcurrentConformRun.summary(o)).isEqualTo("runs: 1 (0 valid, 1 divergent, 0 unsupported); events logged: 3 (USERFAULT exits: 0);"
        + " divergences: 1\nlogged per action: Access 1, UffdRead 1, UffdInstall 1");
    assertThat(j.path("actions").path("UffdWake").asInt(-1)).isZero();
    assertThat(j.path("counts").path("userfaultExits").asInt(-1)).isZero();
  }

  /** A logged USERFAULT exit (and its exit handler's lines) is counted; an exit without the flag is not. */
  @Test
  void userfaultExitsAreCountedFromTheLoggedObservations() {
    ConcurrentLog log = new ConcurrentLog(Config.load("conform-userfault-2vcpu"), 1, "uf-v3");
    log.append(new Action.Access(0, 1), new Observation.MemoryFaultExit(4096, 4096, List.of("USERFAULT")));
    log.append(new Action.Install(0), new Observation.Ioctl("ok"));
    log.append(new Action.Access(1, 0), new Observation.MemoryFaultExit(0, 4096, List.of()));
    Trace t = log.trace("run-000000");
    RunResult r = new RunResult("run-000000", W, Verdict.VALID, Optional.of(t), Optional.empty(), Optional.empty(), Optional.empty());
    ConcurrentConform.Outcome o = new ConcurrentConform.Outcome(List.of(r));
    assertThat(o.userfaultExits()).isEqualTo(1);
    assertThat(o.actions()).containsEntry("Access", 2L).containsEntry("Install", 1L).containsEntry("ClearBit", 0L);
  }

  @Test
  void aRunThatDidNotFinishIsDivergentWithTheReasonAndAnUnsupportedOneIsNamed() {
    RunResult d = divergent();
    RunResult stuck = new RunResult("run-000004", W, Verdict.DIVERGENT, Optional.of(d.log().orElseThrow().withSteps(List.of())),
        Optional.of(new Validator().validate(d.log().orElseThrow().withSteps(List.of()))),
        Optional.of("the run did not finish within 20 s: vcpu0 still in KVM_RUN"), Optional.empty());
    assertThat(ConcurrentConformRun.lines(stuck).getFirst())
        .isEqualTo("run-000004: DIVERGENCE: the run did not finish within 20 s: vcpu0 still in KVM_RUN");
    RunResult unsupported = new RunResult("run-000000", W, Verdict.UNSUPPORTED, Optional.empty(), Optional.empty(),
        Optional.of("KVM_CAP_USERFAULT not offered by this kernel"), Optional.empty());
    assertThat(ConcurrentConformRun.lines(unsupported)).containsExactly("run-000000: unsupported: KVM_CAP_USERFAULT not offered by this kernel");
    JsonNode j = Json.mapper().valueToTree(ConcurrentConformRun.json(new ConcurrentConform.Outcome(List.of(stuck, unsupported))));
    assertThat(j.path("failures").get(0).path("problem").asText()).contains("did not finish");
    assertThat(j.path("unsupported").get(0).path("reason").asText()).contains("KVM_CAP_USERFAULT");
    assertThat(j.path("counts").path("unsupported").asInt()).isEqualTo(1);
  }
}
