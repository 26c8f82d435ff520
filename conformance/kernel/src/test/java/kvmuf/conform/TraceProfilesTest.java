package kvmuf.conform;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import kvmuf.kvm.UapiProfile;
import kvmuf.trace.Generator;
import org.junit.jupiter.api.Test;

/** The trace format names UAPI profiles without seeing the adapter: both lists must name the same profiles. */
class TraceProfilesTest {
  @Test
  void theTraceFormatNamesExactlyTheAdaptersUapiProfiles() {
    assertThat(Generator.profiles())
        .containsExactlyElementsOf(Arrays.stream(UapiProfile.values()).map(UapiProfile::id).toList());
  }
}
