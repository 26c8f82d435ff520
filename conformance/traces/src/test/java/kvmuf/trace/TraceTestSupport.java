package kvmuf.trace;

import java.util.ArrayList;
import java.util.List;
import kvmuf.model.Config;
import kvmuf.model.MutantId;
import java.util.Set;

/** Seeded corpora for the trace tests (our own generators; no property-testing library). */
final class TraceTestSupport {
  private TraceTestSupport() {}

  static List<Trace> corpus(String config, Generator.Strategy s, long seed, int count, int length) {
    return corpus(Config.load(config), s, seed, count, length);
  }

  static List<Trace> corpus(Config c, Generator.Strategy s, long seed, int count, int length) {
    Generator g = new Generator(c, s, seed, Generator.defaultProfile(c), length);
    List<Trace> out = new ArrayList<>();
    for (int k = 0; k < count; k++) {
      out.add(g.generate(k));
    }
    return out;
  }

  static Config mutant(String config, MutantId id) {
    return Config.load(config).withMutants(Set.of(id));
  }

  /** A file round trip: what the CLI reads is what the generator wrote. */
  static Trace roundTrip(Trace t) {
    return TraceCodec.parse("mem.ndjson", TraceCodec.toText(t).lines().toList());
  }
}
