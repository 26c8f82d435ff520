package kvmuf.spec;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code spec/expected-states.tsv}: for each shipped config, the verdict and the distinct-state
 * count that a change of the state space must update on purpose.
 */
public record ExpectedVerdicts(List<ExpectedVerdict> entries) {

  public static ExpectedVerdicts load() {
    return parse(SpecBundle.read("expected-states.tsv"));
  }

  static ExpectedVerdicts parse(String tsv) {
    List<ExpectedVerdict> list = new ArrayList<>();
    for (String line : tsv.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split("\t");
      if (f.length != 5) {
        throw new IllegalStateException("expected-states.tsv: expected 5 tab-separated fields in '" + line + "'");
      }
      Optional<String> property = f[2].equals("-") ? Optional.empty() : Optional.of(f[2]);
      list.add(new ExpectedVerdict(f[0], f[1], property, Long.parseLong(f[3]), f[4]));
    }
    return new ExpectedVerdicts(List.copyOf(list));
  }

  public List<String> configs() {
    return entries.stream().map(ExpectedVerdict::config).toList();
  }

  public Optional<ExpectedVerdict> find(String config) {
    return entries.stream().filter(e -> e.config().equals(config)).findFirst();
  }
}
