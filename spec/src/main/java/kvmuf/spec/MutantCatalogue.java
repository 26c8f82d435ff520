package kvmuf.spec;

import java.util.List;
import java.util.Optional;

/** The mutant catalogue, {@code spec/mutants.tsv}: id, review, config, property, description. */
public record MutantCatalogue(List<Mutant> mutants) {

  public static MutantCatalogue load() {
    return parse(SpecBundle.read("mutants.tsv"));
  }

  static MutantCatalogue parse(String tsv) {
    return new MutantCatalogue(Tsv.rows("mutants.tsv", tsv, 5).stream()
        .map(f -> new Mutant(f[0], f[1], f[2], f[3], f[4]))
        .toList());
  }

  public List<String> ids() {
    return mutants.stream().map(Mutant::id).toList();
  }

  public Optional<Mutant> find(String id) {
    return mutants.stream().filter(m -> m.id().equals(id)).findFirst();
  }

  public Mutant get(String id) {
    return find(id).orElseThrow(() -> new UnknownNameException("mutant", id, ids()));
  }
}
