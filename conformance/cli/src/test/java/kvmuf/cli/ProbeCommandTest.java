package kvmuf.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import kvmuf.kvm.Capabilities;
import kvmuf.kvm.Kvm;
import kvmuf.kvm.UapiProfile;
import kvmuf.kvm.UserfaultEvidence;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ProbeCommandTest {
  static String runProbe(String... args) {
    StringWriter out = new StringWriter();
    CommandLine cl = new CommandLine(new Kvmuf());
    cl.setOut(new PrintWriter(out));
    int rc = cl.execute(args);
    assertThat(rc).as("probe is informational: exit 0").isEqualTo(ExitCodes.OK);
    return out.toString();
  }

  @Test
  void jsonDescribesThisMachine() throws Exception {
    JsonNode j = new ObjectMapper().readTree(runProbe("probe", "--json"));
    assertThat(j.path("kernel").path("sysname").asText()).isEqualTo("Linux");
    assertThat(j.path("userfaultfd").path("available").asBoolean()).isTrue();
    assertThat(j.path("userfaultfd").path("featureNames")).isNotEmpty();
    assertThat(j.path("thp").asText()).isNotBlank();
    boolean kvm = Kvm.unavailableReason() == null;
    assertThat(j.path("kvm").path("present").asBoolean()).isEqualTo(kvm);
    if (kvm) {
      assertThat(j.path("kvm").path("apiVersion").asInt()).isEqualTo(12);
      assertThat(j.path("kvm").path("capabilities").has("KVM_CAP_USER_MEMORY2")).isTrue();
      JsonNode uf = j.path("kvm").path("userfault");
      assertThat(uf.has("capability")).isTrue();
      assertThat(uf.path("profileSource").asText()).isEqualTo("detected by behaviour");
      for (int n : UserfaultEvidence.KNOWN_NUMBERS) assertThat(uf.path("evidence").path("answers").has(Integer.toString(n))).isTrue();
      // The profile follows the behaviour: a kernel that rejects the flag is upstream, whatever answered.
      boolean accepted = uf.path("evidence").path("flagAccepted").asBoolean();
      assertThat(uf.path("offered").asBoolean()).isEqualTo(accepted);
      assertThat(uf.path("profile").asText().equals("upstream")).isEqualTo(!accepted);
      assertThat(uf.path("evidence").path("summary").asText()).startsWith("KVM_MEM_USERFAULT " + (accepted ? "accepted" : "rejected"));
    } else {
      assertThat(j.path("kvm").path("reason").asText()).startsWith("unsupported: ");
    }
  }

  @Test
  void profileAndUserfaultCapOverride() throws Exception {
    assumeTrue(Kvm.unavailableReason() == null, "needs /dev/kvm");
    JsonNode uf = new ObjectMapper().readTree(runProbe("probe", "--json", "--profile", "uf-v1", "--userfault-cap", "300"))
        .path("kvm").path("userfault");
    assertThat(uf.path("profile").asText()).isEqualTo("uf-v1");
    assertThat(uf.path("profileSource").asText()).startsWith("--profile (detected: ");
    assertThat(uf.path("capability").asInt()).isEqualTo(300);
    assertThat(uf.path("capabilitySource").asText()).contains("--userfault-cap");
    assertThat(uf.path("evidence").path("answers").has("300")).isTrue();
  }

  @Test
  void aBadProfileIsAUsageError() {
    assertThat(Kvmuf.run("probe", "--profile", "uf-v9")).isEqualTo(ExitCodes.USAGE);
    assertThat(Kvmuf.run("probe", "--userfault-cap", "0")).isEqualTo(ExitCodes.USAGE);
  }

  @Test
  void withoutKvmTheJsonSaysWhyAndStillReportsUserfaultfd() {
    Capabilities c = Capabilities.probe();
    Capabilities noKvm =
        new Capabilities(
            c.kernel(),
            c.thpMode(),
            c.userfaultfd(),
            new Capabilities.KvmInfo(
                false, "unsupported: no /dev/kvm", 0, 0, List.of(), OptionalInt.empty(), Map.of(), UapiProfile.UPSTREAM, List.of(),
                null, ""));
    JsonNode j = ProbeCommand.toJson(noKvm);
    assertThat(j.path("kvm").path("present").asBoolean()).isFalse();
    assertThat(j.path("kvm").path("reason").asText()).isEqualTo("unsupported: no /dev/kvm");
    assertThat(j.path("userfaultfd").path("featureNames")).isNotEmpty();
    assertThat(ProbeCommand.toText(noKvm)).contains("KVM:          unsupported: no /dev/kvm").contains("userfaultfd:  available");
  }

  @Test
  void textNamesTheUserfaultCapability() {
    String text = runProbe("probe");
    assertThat(text).contains("kernel:").contains("THP:").contains("userfaultfd:");
    if (Kvm.unavailableReason() == null) assertThat(text).contains("KVM Userfault: ").contains("evidence: KVM_MEM_USERFAULT").contains("API version 12");
  }
}
