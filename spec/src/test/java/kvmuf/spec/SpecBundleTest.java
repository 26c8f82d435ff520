package kvmuf.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The shipped spec, configs and catalogues agree with each other by name. */
class SpecBundleTest {
  private static final String SPEC = SpecBundle.read("KvmUserfault.tla");

  private static Set<String> specMutantIds() {
    Matcher m = Pattern.compile("MutantIds == \\{([^}]*)}", Pattern.DOTALL).matcher(SPEC);
    assertThat(m.find()).as("spec declares MutantIds").isTrue();
    return Pattern.compile("\"(\\w+)\"").matcher(m.group(1)).results().map(r -> r.group(1)).collect(Collectors.toSet());
  }

  @Test
  void everyRecordedConfigIsShippedAndParses() {
    for (String name : ExpectedVerdicts.load().configs()) {
      CfgFile cfg = SpecBundle.config(name);
      assertThat(cfg.constants()).containsKeys("Vcpus", "NumGfns", "HugeSpan", "SlotKind", "Arch", "UffdMode",
          "UserfaultUse", "AsyncPf", "DirtyLog", "KvmAccesses", "Accesses", "MaxInvalidate", "Mutants");
      assertThat(cfg.constant("Mutants")).as(name + " ships the correct protocol").isEqualTo("{}");
      assertThat(cfg.invariants()).as(name).startsWith("TypeOK");
      assertThat(cfg.symmetry()).as(name + " uses vCPU symmetry").isTrue();
      assertThat(cfg.checkDeadlock()).as(name + " checks deadlock").isTrue();
      for (String inv : cfg.invariants()) {
        assertThat(SPEC).as("invariant " + inv + " of " + name + " is defined in the spec").contains("\n" + inv + " ==");
      }
    }
  }

  @Test
  void catalogueNamesTheSpecsMutantsExactly() {
    MutantCatalogue catalogue = MutantCatalogue.load();
    assertThat(catalogue.ids()).containsExactlyInAnyOrderElementsOf(specMutantIds());
    for (Mutant m : catalogue.mutants()) {
      assertThat(ExpectedVerdicts.load().configs()).as(m.id() + "'s config").contains(m.config());
      if (!m.property().equals("Deadlock")) {
        assertThat(SpecBundle.config(m.config()).invariants()).as(m.id() + "'s property is checked on its config").contains(m.property());
      }
      assertThat(SPEC).as(m.id() + " is switched somewhere in the spec").contains("Mutant(\"" + m.id() + "\")");
    }
  }

  @Test
  void unknownNamesListTheValidOnes() {
    assertThatThrownBy(() -> SpecBundle.config("huge"))
        .isInstanceOf(UnknownNameException.class)
        .hasMessageContaining("unknown config 'huge'")
        .hasMessageContaining("small-gmem");
    assertThatThrownBy(() -> MutantCatalogue.load().get("Nope"))
        .hasMessageContaining("unknown mutant 'Nope'")
        .hasMessageContaining("NoZapOnEnable");
  }

  @Test
  void withMutantsRewritesOnlyTheMutantsLine() {
    CfgFile cfg = SpecBundle.config("small");
    String text = cfg.withMutants(java.util.List.of("NoSeqRetry"));
    CfgFile again = CfgFile.parse("x", text);
    assertThat(again.constant("Mutants")).isEqualTo("{\"NoSeqRetry\"}");
    assertThat(again.constants()).hasSameSizeAs(cfg.constants());
    assertThat(again.invariants()).isEqualTo(cfg.invariants());
  }
}
