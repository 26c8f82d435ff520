package kvmuf.spec;

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
    return new ExpectedVerdicts(Tsv.rows("expected-states.tsv", tsv, 5).stream()
        .map(f -> new ExpectedVerdict(f[0], f[1], f[2].equals("-") ? Optional.<String>empty() : Optional.of(f[2]),
            Long.parseLong(f[3]), f[4]))
        .toList());
  }

  public List<String> configs() {
    return entries.stream().map(ExpectedVerdict::config).toList();
  }

  public Optional<ExpectedVerdict> find(String config) {
    return entries.stream().filter(e -> e.config().equals(config)).findFirst();
  }
}
