package kvmuf.conform;

import static org.assertj.core.api.Assertions.assertThat;

import kvmuf.model.Config;
import org.junit.jupiter.api.Test;

/** Which shipped configs the kernel trace target can replay, and why not the others (never a silent pass). */
class KernelTargetConfigTest {
  @Test
  void theConformConfigsAreReplayable() {
    assertThat(KernelTarget.unsupportedConfig(Config.load("conform-upstream"))).isNull();
    assertThat(KernelTarget.unsupportedConfig(Config.load("conform-userfault"))).isNull();
  }

  @Test
  void configsTheTargetCannotSetUpOrObserveSayWhy() {
    assertThat(KernelTarget.unsupportedConfig(Config.load("small-dirty"))).contains("UserfaultUse = start");
    assertThat(KernelTarget.unsupportedConfig(Config.load("small"))).contains("invalidations").contains("retry");
    assertThat(KernelTarget.unsupportedConfig(Config.load("small-apf"))).contains("AsyncPf = kernel");
  }
}
