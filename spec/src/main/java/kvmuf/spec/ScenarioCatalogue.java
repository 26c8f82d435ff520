package kvmuf.spec;

import java.util.List;

/** The scenario catalogue, {@code spec/scenarios/scenarios.tsv}: name, review, mutant, property, description. */
public record ScenarioCatalogue(List<Scenario> scenarios) {

  public static ScenarioCatalogue load() {
    return parse(SpecBundle.read("scenarios/scenarios.tsv"));
  }

  static ScenarioCatalogue parse(String tsv) {
    return new ScenarioCatalogue(Tsv.rows("scenarios.tsv", tsv, 5).stream()
        .map(f -> new Scenario(f[0], f[1], f[2], f[3], f[4]))
        .toList());
  }
}
