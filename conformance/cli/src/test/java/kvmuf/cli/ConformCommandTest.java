package kvmuf.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import kvmuf.conform.Rules;
import kvmuf.kvm.Kvm;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** kvmuf conform as a user meets it: listing, usage errors, reserved trace-layer options, a host run. */
@Timeout(120)
class ConformCommandTest {
  static CheckCommandTest.Run run(String... args) {
    return CheckCommandTest.run(args);
  }

  @Test
  void severalConfigsShareTheTracesAndEachActionsStepsAreCounted() throws Exception {
    CheckCommandTest.Run twice = run("conform", "--target", "host", "--config", "conform-upstream,conform-upstream", "--traces", "2");
    assertThat(twice.rc()).isEqualTo(ExitCodes.USAGE);
    assertThat(twice.err()).contains("conform-upstream given twice");
    CheckCommandTest.Run bad = run("conform", "--target", "host", "--config", "conform-upstream,nosuch", "--traces", "2");
    assertThat(bad.rc()).isEqualTo(ExitCodes.USAGE);
    assertThat(bad.err()).contains("nosuch");
    String noKvm = Kvm.unavailableReason();
    if (noKvm != null) System.err.println("[skipped] " + noKvm);
    assumeTrue(noKvm == null, noKvm);
    CheckCommandTest.Run r = run("conform", "--target", "host", "--rules", "none", "--config", "conform-upstream,conform-kvm-access",
        "--traces", "6", "--seed", "3", "--json");
    assertThat(r.rc()).as(r.out() + r.err()).isEqualTo(ExitCodes.OK);
    JsonNode t = r.json().path("traces");
    assertThat(t.path("source").asText()).contains("conform-upstream (3)").contains("conform-kvm-access (3)");
    assertThat(t.path("counts").path("traces").asInt()).isEqualTo(6);
    JsonNode actions = t.path("actions");
    assertThat(actions.path("Access").asLong()).isPositive();
    assertThat(actions.has("KvmAccess")).as("every visible action is listed, 0 where none ran").isTrue();
    long sum = 0;
    for (var it = actions.elements(); it.hasNext(); ) sum += it.next().asLong();
    assertThat(sum).as("the per-action counts add up to the steps run").isEqualTo(t.path("counts").path("stepsRun").asLong());
  }

  @Test
  void listNamesEveryRuleWithWhatItChecks() {
    CheckCommandTest.Run r = run("conform", "--list");
    assertThat(r.rc()).isEqualTo(ExitCodes.OK);
    for (String name : Rules.names()) assertThat(r.out()).contains(name);
    assertThat(r.out()).contains("EEXIST").contains("KVM_EXIT_MMIO");
  }

  @Test
  void helpTeachesTargetsRulesAndWhatIsComing() {
    CheckCommandTest.Run r = run("conform", "--help");
    assertThat(r.rc()).isEqualTo(ExitCodes.OK);
    assertThat(r.out()).contains("--target").contains("--rules").contains("--profile").contains("--json")
        .contains("unsupported").contains("--traces N").contains("--concurrent").doesNotContain("not available")
        .contains("kvmuf conform --target host --concurrent --traces 50 --seed 1").contains("NAME.concurrent.ndjson");
  }

  @Test
  void concurrentWithOptionsOfOtherModesIsAOneLineUsageError() {
    for (String other : List.of("--in", "--rules", "--length")) {
      String value = other.equals("--length") ? "5" : other.equals("--rules") ? "uffd-missing-copy" : "/tmp/x";
      CheckCommandTest.Run c = run("conform", "--target", "host", "--concurrent", other, value);
      assertThat(c.rc()).as(other).isEqualTo(ExitCodes.USAGE);
      assertThat(c.err().strip()).as(other).startsWith("kvmuf: --concurrent runs seeded workloads of its own").endsWith("does not take " + other)
          .doesNotContain("\n").doesNotContain("Exception");
    }
    for (List<String> args : List.of(List.of("--traces", "0"), List.of("--config", "nope"), List.of("--profile", "uf-v9"))) {
      CheckCommandTest.Run r = run(concat(List.of("conform", "--target", "host", "--concurrent"), args));
      assertThat(r.rc()).as(args.toString()).isEqualTo(ExitCodes.USAGE);
      assertThat(r.err().strip()).as(args.toString()).startsWith("kvmuf: ").doesNotContain("\n").doesNotContain("Exception");
    }
    CheckCommandTest.Run noTarget = run("conform", "--concurrent");
    assertThat(noTarget.rc()).isEqualTo(ExitCodes.USAGE);
    assertThat(noTarget.err()).contains("--target is required");
    CheckCommandTest.Run vm = run("conform", "--target", "vm", "--concurrent", "--out", "/tmp/x");
    assertThat(vm.rc()).isEqualTo(ExitCodes.USAGE);
    assertThat(vm.err()).contains("--target host only");
  }

  @Test
  void badTraceOptionsAreOneLineUsageErrors() {
    for (List<String> args : List.of(
        List.of("--traces", "3", "--in", "/tmp/x"), List.of("--traces", "-1"), List.of("--rules", "none", "--traces", "0"),
        List.of("--model-mutant", "NoSuchBug"), List.of("--model-mutant", "NoWakeOnEexist", "--in", "/tmp/x"),
        List.of("--kernel", "reference"), List.of("--kernel-mutant", "NoBitmapCheck"), List.of("--traces", "2", "--config", "nope"),
        List.of("--in", "/nonexistent-kvmuf-dir"))) {
      CheckCommandTest.Run r = run(concat(List.of("conform", "--target", "host"), args));
      assertThat(r.rc()).as(args.toString()).isEqualTo(ExitCodes.USAGE);
      assertThat(r.err().strip()).as(args.toString()).startsWith("kvmuf: ").doesNotContain("\n").doesNotContain("Exception");
    }
    CheckCommandTest.Run vm = run("conform", "--target", "vm", "--traces", "2", "--out", "/tmp/x");
    assertThat(vm.rc()).isEqualTo(ExitCodes.USAGE);
    assertThat(vm.err()).contains("--target host only");
    assertThat(run("conform", "--target", "host", "--rules", "none", "--traces", "0").err()).contains("nothing to run");
    CheckCommandTest.Run badMutant = run("conform", "--target", "vm", "--kernel", "reference", "--kernel-mutant", "NoSuchBug");
    assertThat(badMutant.rc()).isEqualTo(ExitCodes.USAGE);
    assertThat(badMutant.err()).contains("valid: ALL, NoZapOnEnable");
    CheckCommandTest.Run mutantOn612 = run("conform", "--target", "vm", "--kernel", "6.12", "--kernel-mutant", "ALL");
    assertThat(mutantOn612.rc()).isEqualTo(ExitCodes.USAGE);
    assertThat(mutantOn612.err()).contains("needs --kernel reference");
  }

  @Test
  void badTargetsRulesAndProfilesAreOneLineUsageErrors() {
    assertThat(run("conform").err()).contains("--target is required");
    assertThat(run("conform").rc()).isEqualTo(ExitCodes.USAGE);
    CheckCommandTest.Run target = run("conform", "--target", "cloud");
    assertThat(target.rc()).isEqualTo(ExitCodes.USAGE);
    assertThat(target.err()).contains("valid: host, vm");
    CheckCommandTest.Run rule = run("conform", "--target", "host", "--rules", "nope");
    assertThat(rule.rc()).isEqualTo(ExitCodes.USAGE);
    assertThat(rule.err().strip()).startsWith("kvmuf: unknown rule 'nope'; valid: mmio-outside-memslots").doesNotContain("\n");
    CheckCommandTest.Run profile = run("conform", "--target", "host", "--profile", "uf-v9");
    assertThat(profile.rc()).isEqualTo(ExitCodes.USAGE);
    assertThat(profile.err()).contains("uf-v3");
  }

  @Test
  void vmTargetWithoutTheVmRunnerIsAnEnvironmentError() {
    assumeTrue(!Kvmuf.commandLine().getSubcommands().containsKey("vm"), "this build has the VM runner");
    CheckCommandTest.Run r = run("conform", "--target", "vm");
    assertThat(r.rc()).isEqualTo(ExitCodes.ENVIRONMENT);
    assertThat(r.err().strip()).isEqualTo("kvmuf: the VM runner is not available in this build");
  }

  @Test
  @Tag("kvm")
  void hostRunPrintsPerRuleResultsAndCounts() throws Exception {
    String noKvm = Kvm.unavailableReason();
    if (noKvm != null) System.err.println("[skipped] " + noKvm);
    assumeTrue(noKvm == null, noKvm);
    CheckCommandTest.Run r = run("conform", "--target", "host", "--rules", "mmio-outside-memslots,userfault-exit", "--traces", "0", "--json");
    assertThat(r.rc()).as(r.out() + r.err()).isEqualTo(ExitCodes.OK);
    JsonNode j = r.json();
    assertThat(j.path("target").asText()).isEqualTo("host");
    JsonNode counts = j.path("counts");
    assertThat(counts.path("rulesRun").asInt()).isEqualTo(2);
    assertThat(counts.path("diverged").asInt()).isZero();
    assertThat(counts.path("passed").asInt() + counts.path("unsupported").asInt()).isEqualTo(2);
    assertThat(counts.path("stepsRun").asInt()).isPositive();
    assertThat(j.path("divergences").asInt()).isZero();
    assertThat(j.has("traces")).as("--traces 0 runs no traces").isFalse();
    JsonNode mmio = j.path("rules").get(0);
    assertThat(mmio.path("rule").asText()).isEqualTo("mmio-outside-memslots");
    assertThat(mmio.path("result").asText()).isEqualTo("pass");
    assertThat(mmio.path("trace").get(0).path("observed").asText()).startsWith("mmio_exit(gpa 0x");
    JsonNode uf = j.path("rules").get(1);
    if (uf.path("result").asText().equals("unsupported")) {
      assertThat(uf.path("reason").asText()).contains("unsupported: KVM_CAP_USERFAULT not offered");
    }

    CheckCommandTest.Run text = run("conform", "--target", "host", "--rules", "mmio-outside-memslots", "--traces", "2");
    assertThat(text.rc()).as(text.out() + text.err()).isEqualTo(ExitCodes.OK);
    assertThat(text.out()).contains("pass         mmio-outside-memslots").contains("rules run 1, passed 1, diverged 0, unsupported 0")
        .contains("divergences: 0");
    // Upstream kernels replay conform-upstream, whose traces all run; a KVM Userfault kernel replays
    // conform-userfault, where a trace may stop, with its reason, at an EnableUserfault the model cannot predict yet.
    // Besides the 2 generated traces, the default corpus has one mutant-ID trace per catalogued model mutant whose
    // config this kernel's profile runs (none of them is conform-upstream's) and the update probes
    // (after-UPDATE-CONFIG), each listed with its verdict.
    int directed = count(text.out(), "(?m)^mutant-\\w+: ");
    int probes = count(text.out(), "(?m)^after-\\w+-[\\w-]+: ");
    assertThat(text.out()).contains("and " + directed + " trace").contains("and " + probes + " that make a memslot update early");
    assertThat(probes).as("dirty logging is turned on and off on every kernel's configs").isGreaterThanOrEqualTo(2);
    if (text.out().contains("UAPI profile upstream")) {
      assertThat(directed).as("conform-upstream has no catalogued model mutant").isZero();
      assertThat(text.out()).contains("traces: " + (2 + probes) + " (" + (2 + probes) + " passed");
    } else {
      int all = 2 + directed + probes;
      Matcher m = Pattern
          .compile("traces: (\\d+) \\((\\d+) passed, 0 diverged, (\\d+) stopped at an unsupported step\\)").matcher(text.out());
      assertThat(m.find()).as(text.out()).isTrue();
      assertThat(Integer.parseInt(m.group(1))).isEqualTo(all);
      assertThat(Integer.parseInt(m.group(2)) + Integer.parseInt(m.group(3))).isEqualTo(all);
    }
  }

  private static int count(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    int n = 0;
    while (m.find()) n++;
    return n;
  }

  @Test
  @Tag("kvm")
  void aModelMutantIsReportedAsADivergenceOfTheRuleItBreaks() throws Exception {
    String noKvm = Kvm.unavailableReason();
    if (noKvm != null) System.err.println("[skipped] " + noKvm);
    assumeTrue(noKvm == null, noKvm);
    // NoWakeOnEexist: the model forbids the UFFDIO_WAKE a VMM issues after COPY's EEXIST (R2); the kernel has the
    // vCPU asleep at that point and takes the wake, so the rule must stop there as a divergence.
    CheckCommandTest.Run r = run("conform", "--target", "host", "--rules", "uffd-eexist-wake", "--traces", "0",
        "--model-mutant", "NoWakeOnEexist", "--json");
    assertThat(r.rc()).as(r.out() + r.err()).isEqualTo(ExitCodes.VIOLATION);
    JsonNode j = r.json();
    assertThat(j.path("modelMutant").asText()).isEqualTo("NoWakeOnEexist");
    assertThat(j.path("divergences").asInt()).isEqualTo(1);
    JsonNode rule = j.path("rules").get(0);
    assertThat(rule.path("result").asText()).isEqualTo("divergence");
    assertThat(rule.path("reason").asText()).contains("does not allow UffdWake");
    CheckCommandTest.Run same = run("conform", "--target", "host", "--rules", "uffd-eexist-wake", "--traces", "0", "--json");
    assertThat(same.rc()).as("the unchanged model agrees with the kernel: " + same.out()).isEqualTo(ExitCodes.OK);
  }

  @Test
  @Tag("kvm")
  void userfaultCapNamesTheCapabilityNumberTheRunAsksAndReports() throws Exception {
    String noKvm = Kvm.unavailableReason();
    assumeTrue(noKvm == null, noKvm);
    CheckCommandTest.Run bad = run("conform", "--target", "host", "--rules", "none", "--traces", "1", "--userfault-cap", "0");
    assertThat(bad.rc()).isEqualTo(ExitCodes.USAGE);
    assertThat(bad.err().strip()).isEqualTo("kvmuf: --userfault-cap must be a positive capability number");
    // A copy renumbered to 300 (no number the kit knows): the run asks 300 and takes it; the profile still
    // comes from behaviour, so it is the same profile as without the option.
    CheckCommandTest.Run named = run("conform", "--target", "host", "--rules", "userfault-flag-einval", "--traces", "0",
        "--userfault-cap", "300", "--json");
    assertThat(named.rc()).as(named.out() + named.err()).isEqualTo(ExitCodes.OK);
    JsonNode uf = named.json().path("userfault");
    assertThat(uf.path("capability").asInt()).isEqualTo(300);
    assertThat(uf.path("capabilitySource").asText()).contains("--userfault-cap");
    assertThat(uf.path("evidence").asText()).contains("taken as KVM_CAP_USERFAULT: 300");
    CheckCommandTest.Run plain = run("conform", "--target", "host", "--rules", "userfault-flag-einval", "--traces", "0", "--json");
    JsonNode pu = plain.json().path("userfault");
    assertThat(pu.path("capability").isNull() || pu.path("capability").asInt() != 300).as("the number is not kept past its run").isTrue();
    assertThat(pu.path("detectedProfile").asText()).isEqualTo(uf.path("detectedProfile").asText());
    assertThat(named.json().path("profile").asText()).isEqualTo(plain.json().path("profile").asText());
  }

  @Test
  void theGuestIsGivenTheSameUserfaultCap() {
    ConformCommand c = new ConformCommand();
    c.rules = "all";
    c.userfaultCap = 260;
    assertThat(c.guestArgs(3)).containsSubsequence("--userfault-cap", "260");
    c.userfaultCap = null;
    assertThat(c.guestArgs(3)).doesNotContain("--userfault-cap");
  }

  private static String[] concat(List<String> a, List<String> b) {
    return java.util.stream.Stream.concat(a.stream(), b.stream()).toArray(String[]::new);
  }
}
