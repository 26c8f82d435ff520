package kvmuf.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import kvmuf.conform.run.KernelTraces;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.trace.Generator;
import kvmuf.trace.Trace;
import kvmuf.trace.UpdateProbe;

/**
 * The update probes of conform's default corpus ({@link UpdateProbe}): for each kind of slot memory the run's
 * configs use and each memslot update one of them makes, the shortest trace (the first config's, among equally
 * short ones) that makes the update as early as the protocol allows and then touches every gfn. Named
 * after-UPDATE-CONFIG. A kernel whose update path breaks the slot (a guest_memfd binding lost on a flags-only
 * change, a zap that misses a page) is then caught however rarely a random walk makes that update.
 */
final class UpdateProbeTraces {
  /** Depth and visited state sets of one search: the longest probe of a shipped config is 9 steps, found in well under 0.1 s. */
  static final int MAX_DEPTH = 12;
  static final int MAX_NODES = 2_000;

  private UpdateProbeTraces() {}

  static List<KernelTraces.Named> onConfigs(List<String> configs) {
    Map<String, KernelTraces.Named> shortest = new LinkedHashMap<>();
    for (String name : configs) {
      Config c = Config.load(name);
      UpdateProbe probe = new UpdateProbe(c, MAX_DEPTH, MAX_NODES);
      for (Class<? extends Action> update : UpdateProbe.UPDATES) {
        Optional<Trace> t = probe.find(update, Generator.defaultProfile(c));
        if (t.isEmpty()) {
          continue;
        }
        String key = c.slotKind() + " " + update.getSimpleName();
        KernelTraces.Named kept = shortest.get(key);
        if (kept == null || t.get().steps().size() < kept.trace().steps().size()) {
          shortest.put(key, new KernelTraces.Named("after-" + update.getSimpleName() + "-" + name, t.get()));
        }
      }
    }
    return new ArrayList<>(shortest.values());
  }
}
