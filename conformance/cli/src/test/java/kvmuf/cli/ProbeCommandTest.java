package kvmuf.cli;

import static org.assertj.core.api.Assertions.assertThat;

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
      assertThat(j.path("kvm").path("userfault").has("capability")).isTrue();
      assertThat(j.path("kvm").path("userfault").path("answers").has("243")).isTrue();
    } else {
      assertThat(j.path("kvm").path("reason").asText()).startsWith("unsupported: ");
    }
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
                false, "unsupported: no /dev/kvm", 0, 0, List.of(), OptionalInt.empty(), Map.of(), UapiProfile.UPSTREAM, List.of(), ""));
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
    if (Kvm.unavailableReason() == null) assertThat(text).contains("KVM_CAP_USERFAULT:").contains("API version 12");
  }
}
