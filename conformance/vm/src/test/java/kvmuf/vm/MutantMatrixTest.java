package kvmuf.vm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How the mutant matrix reads a guest conform report: the first divergence, a rule's before a trace's. */
class MutantMatrixTest {
  static JsonNode json(String s) throws Exception {
    return new ObjectMapper().readTree(s);
  }

  @Test
  void aDivergentRuleIsQuotedWithItsStep() throws Exception {
    JsonNode j = json("""
        {"rules":[{"rule":"mmio-outside-memslots","result":"pass"},
                  {"rule":"userfault-exit","result":"divergence","divergence":{"i":3,"step":"Access(v0, g0)",
                   "expected":"memory_fault_exit(gpa 0x0, size 4096, USERFAULT)","observed":"read(zero)"}}],
         "traces":{"failures":[{"trace":"trace-000004","step":7,"action":"Access"}]}}""");
    Map<String, Object> d = MutantMatrix.firstDivergence(j).orElseThrow();
    assertThat(d).containsEntry("rule", "userfault-exit").containsEntry("step", 3).containsEntry("action", "Access(v0, g0)")
        .containsEntry("observed", "read(zero)");
    String line = MutantMatrix.line(new MutantMatrix.Verdict(KernelMutant.NoBitmapCheck, MutantMatrix.Result.KILLED, Optional.of(d), "diverged: 4 of 16 rules, 61 of 100 traces"));
    assertThat(line).contains("killed").contains("NoBitmapCheck").contains("rule userfault-exit, step 3")
        .contains("expected memory_fault_exit(gpa 0x0, size 4096, USERFAULT), observed read(zero)")
        .endsWith("(diverged: 4 of 16 rules, 61 of 100 traces)");
  }

  @Test
  void withoutADivergentRuleTheFirstFailingTraceIsQuoted() throws Exception {
    JsonNode j = json("""
        {"rules":[{"rule":"userfault-exit","result":"pass"}],
         "traces":{"failures":[{"trace":"trace-000004","step":7,"action":"Access","expected":[{"result":"read"}],
                                "observed":{"result":"memory_fault_exit"}}]}}""");
    Map<String, Object> d = MutantMatrix.firstDivergence(j).orElseThrow();
    assertThat(d).containsEntry("trace", "trace-000004").containsEntry("step", 7).containsEntry("action", "Access");
    assertThat((String) d.get("observed")).contains("memory_fault_exit");
  }

  @Test
  void aCleanReportHasNoDivergence() throws Exception {
    assertThat(MutantMatrix.firstDivergence(json("{\"rules\":[{\"result\":\"pass\"}],\"traces\":{\"failures\":[]}}"))).isEmpty();
  }

  @Test
  void theGuestIsToldTheReferenceKernelsDocumentedProfileUnlessOneIsNamed() {
    assertThat(MutantMatrix.withDocumentedProfile(java.util.List.of("conform", "--target", "host")))
        .containsExactly("conform", "--target", "host", "--profile", "uf-v3");
    assertThat(MutantMatrix.withDocumentedProfile(java.util.List.of("conform", "--profile", "uf-v1")))
        .containsExactly("conform", "--profile", "uf-v1");
  }
}
