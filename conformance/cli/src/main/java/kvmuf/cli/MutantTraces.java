package kvmuf.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import kvmuf.conform.KernelTarget;
import kvmuf.conform.run.KernelTraces;
import kvmuf.model.Config;
import kvmuf.model.MutantId;
import kvmuf.spec.Mutant;
import kvmuf.spec.MutantCatalogue;
import kvmuf.trace.Distinguisher;
import kvmuf.trace.Generator;
import kvmuf.trace.Trace;

/**
 * The distinguishing traces of conform's default corpus: for each catalogued model mutant whose config is one
 * of the trace configs this kernel runs, a shortest trace that the correct protocol passes and the mutant's
 * cannot ({@link Distinguisher}), compared as a kernel reports a step ({@link KernelTarget#asObserved}: no
 * pages_4k; pages_2m with one huge frame, which a kernel reports only where a THP backs it). A kernel bug that
 * behaves like a model mutant is then caught whether or not a random walk happens on the sequence it needs,
 * where the kernel shows the difference. Named mutant-ID; a mutant with no such trace within the search's bounds
 * (a race whose difference stays in hidden steps, or a difference deeper than the bounds reach) has none.
 */
final class MutantTraces {
  /**
   * Depth and product nodes of one search: the longest found is 9 steps; NoZapOnReenable's 8-step trace (enable,
   * disable, map, enable again, access) needs about 8,000 nodes. The searches take about 4.5 s here (most
   * of it the ones that find none), and about ten times that under TCG.
   */
  static final int MAX_DEPTH = 16;
  static final int MAX_NODES = 10_000;

  private MutantTraces() {}

  static List<KernelTraces.Named> onConfigs(List<String> configs) {
    List<KernelTraces.Named> out = new ArrayList<>();
    for (Mutant m : MutantCatalogue.load().mutants()) {
      if (!configs.contains(m.config())) {
        continue;
      }
      Config c = Config.load(m.config());
      // compared as a kernel reports them (no pages_4k), or the difference may be one the kernel never shows
      Optional<Trace> t = new Distinguisher(c, MutantId.valueOf(m.id()), MAX_DEPTH, MAX_NODES, o -> KernelTarget.asObserved(c, o))
          .find(Generator.defaultProfile(c));
      t.ifPresent(trace -> out.add(new KernelTraces.Named("mutant-" + m.id(), trace)));
    }
    return out;
  }
}
