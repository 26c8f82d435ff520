package kvmuf.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import kvmuf.conform.run.KernelTraces;
import org.junit.jupiter.api.Test;

/** Conform's default corpus gets a distinguishing trace for each catalogued mutant on its configs, and only there. */
class MutantTracesTest {
  @Test
  void oneTracePerCatalogedMutantWhoseConfigIsRun() {
    List<String> names = MutantTraces.onConfigs(List.of("small", "small-gmem")).stream().map(KernelTraces.Named::name).toList();
    // compared as a kernel reports a step (no pages_4k): the enable's zap and the re-enable's (a read where the
    // model exits), huge pages while USERFAULT is on (pages_2m), the exit's flags, KVM's own read without userfaultfd
    assertThat(names).contains("mutant-NoZapOnEnable", "mutant-NoZapOnReenable", "mutant-HugeWhileUserfault", "mutant-WrongExitFlags",
            "mutant-NoUffdForKvmAccess")
        .doesNotContain("mutant-RecoverWithDirtyLog", "mutant-DeleteBeforeSrcuWait") // small-dirty, small-delete: not run
        .doesNotHaveDuplicates();
    assertThat(MutantTraces.onConfigs(List.of("conform-upstream", "conform-kvm-access", "conform-writes")))
        .as("an upstream kernel's configs have no catalogued mutant").isEmpty();
  }
}
