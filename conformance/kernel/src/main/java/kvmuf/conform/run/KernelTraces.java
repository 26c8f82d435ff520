package kvmuf.conform.run;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import kvmuf.conform.KernelTarget;
import kvmuf.kvm.Kvm;
import kvmuf.kvm.SlotMemory;
import kvmuf.kvm.UapiProfile;
import kvmuf.model.Config;
import kvmuf.sys.Libc;
import kvmuf.trace.ReplayReport;
import kvmuf.trace.Replayer;
import kvmuf.trace.Trace;
import kvmuf.trace.TraceCodec;

/**
 * Replays traces on this machine's kernel ({@link KernelTarget}) for {@code conform --traces} and
 * {@code traces replay --target host}: per-trace results (divergences with step, expected set and observed;
 * unsupported steps with the reason), counts, and the observed runs as NDJSON next to the expectations.
 *
 * <p>A trace stops at its first unsupported step: it counts as "unsupported at step k", the k steps before it
 * ran and were compared, the step itself counts as unsupported and the steps after it as not run. Such a
 * trace is never counted as passed.
 */
public final class KernelTraces {
  private KernelTraces() {}

  /** A named trace: its file name stem (trace-000007) and the trace. */
  public record Named(String name, Trace trace) {}

  /**
   * @param actions every visible model action, with the steps of it the kernel ran (0 where none did)
   * @param unsupportedActions the actions a trace stopped at as unsupported, each with the first reason given
   */
  public record Outcome(int traces, int passed, int diverged, int unsupportedTraces, long stepsRun, long stepsUnsupported,
      long stepsNotRun, long pagesUnchecked, List<Replayer.Result> results, List<String> names, Map<String, Long> actions,
      Map<String, String> unsupportedActions) {
    /** Traces the target left the branch of and that went on with steps drawn on the target's branch. */
    public long continued() {
      return results.stream().filter(r -> r.continuedAt() >= 0).count();
    }
  }

  /**
   * The configs {@code conform} generates traces of when none is named. On a kernel with KVM_CAP_USERFAULT
   * ({@code profile}): every shipped config whose recorded verdict is ok and that this kernel target can set up
   * ({@link KernelTarget#unsupportedConfig}: not kernel async PF, not another architecture; the guest_memfd ones
   * where guest_memfd has MMAP and INIT_SHARED), in spec/expected-states.tsv's order. Elsewhere conform-upstream,
   * conform-kvm-access (KVM's own reads) and conform-writes (guest writes under dirty logging), which an upstream
   * kernel runs whole. Configs recorded as
   * violations (the model itself breaks a property there, e.g. gmem-kvm-access) are named with --config.
   */
  public static List<String> defaultConfigs(UapiProfile profile) {
    if (!profile.hasUserfault()) return List.of("conform-upstream", "conform-kvm-access", "conform-writes");
    boolean gmem;
    try (Kvm kvm = Kvm.open()) {
      gmem = SlotMemory.guestMemfdUnsupported(kvm).isEmpty();
    }
    return okConfigs().stream().filter(n -> {
      Config c = Config.load(n);
      return KernelTarget.unsupportedConfig(c) == null && (gmem || !c.slotKind().guestMemfd());
    }).toList();
  }

  /**
   * Why no trace on this target can run {@code action}: every shipped config recorded ok that has it is one this
   * target cannot replay ({@link KernelTarget#unsupportedConfig}); empty when some such config is replayable.
   */
  static Optional<String> notReplayable(String action) {
    List<String> with = okConfigs().stream().filter(n -> kvmuf.trace.Coverage.possibleActions(Config.load(n)).contains(action)).toList();
    if (with.isEmpty()) return Optional.empty();
    for (String n : with) {
      if (KernelTarget.unsupportedConfig(Config.load(n)) == null) return Optional.empty();
    }
    return Optional.of("no config with it is replayable here (" + String.join(", ", with) + "): "
        + KernelTarget.unsupportedConfig(Config.load(with.getFirst())));
  }

  /** The shipped configs whose recorded verdict is ok, in spec/expected-states.tsv's order: what {@code --config all} names. */
  public static List<String> okConfigs() {
    return kvmuf.spec.ExpectedVerdicts.load().entries().stream().filter(e -> e.verdict().equals("ok")).map(e -> e.config()).toList();
  }

  /** This machine's kernel release and architecture, as the reports name it. */
  public static String kernel() {
    String[] u = Libc.uname();
    return u[2] + " (" + u[4] + ")";
  }

  /**
   * Replays {@code traces} on this machine's /dev/kvm exactly as written (a step the model does not enable on the
   * branch the target took stops the trace, unsupported); with {@code out} (an existing folder) each trace and its
   * observed run are written there; with {@code progress} each trace's lines go there as it ends.
   */
  public static Outcome run(List<Named> traces, Optional<UapiProfile> profile, Path out, PrintWriter progress) {
    return run(traces, profile, out, progress, false);
  }

  /**
   * As {@link #run(List, Optional, Path, PrintWriter)}; with {@code continueOffBranch} a trace whose target took
   * another allowed branch goes on with steps drawn on that branch when the file's next step is not enabled on it
   * ({@link Replayer#continuingOffBranch}), so that such traces are run to their length instead of stopping.
   */
  public static Outcome run(List<Named> traces, Optional<UapiProfile> profile, Path out, PrintWriter progress, boolean continueOffBranch) {
    List<Replayer.Result> results = new ArrayList<>();
    List<String> names = new ArrayList<>();
    int passed = 0;
    int diverged = 0;
    int unsupportedTraces = 0;
    long stepsRun = 0;
    long stepsUnsupported = 0;
    long notRun = 0;
    long pages = 0;
    Map<String, Long> actions = new LinkedHashMap<>();
    TraceCodec.actionNames().forEach(a -> actions.put(a, 0L));
    Map<String, String> unsupportedActions = new java.util.TreeMap<>();
    try (KernelTarget target = new KernelTarget(profile)) {
      Replayer replayer = new Replayer(target);
      if (continueOffBranch) replayer.continuingOffBranch();
      for (Named n : traces) {
        Replayer.Result r = replayer.replay(n.trace(), null);
        results.add(r);
        names.add(n.name());
        stepsRun += r.stepsReplayed();
        pages += r.pagesUnchecked();
        r.recorded().steps().forEach(s -> actions.merge(s.action().name(), 1L, Long::sum));
        // A step's own reason (no capability for it) says more than a config this target cannot build at all.
        r.unsupported().ifPresent(u -> unsupportedActions.merge(u.action(), u.reason(),
            (was, now) -> was.startsWith("config ") && !now.startsWith("config ") ? now : was));
        if (!r.ok()) {
          diverged++;
        } else if (r.unsupported().isPresent()) {
          unsupportedTraces++;
          stepsUnsupported++;
          notRun += n.trace().steps().size() - r.stepsReplayed() - 1;
        } else {
          passed++;
        }
        if (out != null) {
          TraceCodec.write(out.resolve(n.name() + ".ndjson"), n.trace());
          TraceCodec.write(out.resolve(n.name() + ".observed.ndjson"), r.recorded());
        }
        if (progress != null) {
          lines(n.name(), r).forEach(progress::println);
          progress.flush();
        }
      }
    }
    // An action no trace ran because this target replays no config that has it: say so, with that config's reason.
    actions.forEach((a, n) -> {
      if (n == 0 && !unsupportedActions.containsKey(a)) notReplayable(a).ifPresent(why -> unsupportedActions.put(a, why));
    });
    return new Outcome(traces.size(), passed, diverged, unsupportedTraces, stepsRun, stepsUnsupported, notRun, pages, results, names,
        actions, unsupportedActions);
  }

  /** One line per trace: pass, DIVERGENCE (with expected and observed), or unsupported at step k. */
  public static List<String> lines(String name, Replayer.Result r) {
    List<String> out = new ArrayList<>();
    if (!r.ok()) {
      for (String l : ReplayReport.text(r)) {
        out.add(name + ": " + l);
      }
    } else if (r.unsupported().isPresent()) {
      Replayer.Unsupported u = r.unsupported().get();
      out.add(String.format("%s: unsupported at step %d (%s): %s; %d steps before it ran and matched", name, u.step(), u.action(),
          u.reason(), r.stepsReplayed()));
    } else if (r.continuedAt() >= 0) {
      out.add(String.format("%s: pass (%d steps; the target took another allowed branch at step %d, and steps %d on were drawn on it)",
          name, r.stepsReplayed(), r.leftBranchAt(), r.continuedAt()));
    } else {
      out.add(String.format("%s: pass (%d steps)", name, r.stepsReplayed()));
    }
    return out;
  }

  public static Map<String, Object> json(Outcome o) {
    Map<String, Object> m = new LinkedHashMap<>();
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("traces", o.traces());
    c.put("passed", o.passed());
    c.put("diverged", o.diverged());
    c.put("unsupported", o.unsupportedTraces());
    c.put("stepsRun", o.stepsRun());
    c.put("stepsUnsupported", o.stepsUnsupported());
    c.put("stepsNotRun", o.stepsNotRun());
    c.put("stepsPagesUnchecked", o.pagesUnchecked());
    c.put("continuedOnTargetBranch", o.continued());
    c.put("divergences", o.diverged());
    m.put("counts", c);
    m.put("actions", o.actions());
    m.put("unsupportedActions", o.unsupportedActions());
    List<Object> failures = new ArrayList<>();
    List<Object> unsupported = new ArrayList<>();
    for (int k = 0; k < o.results().size(); k++) {
      Replayer.Result r = o.results().get(k);
      if (!r.ok()) {
        Map<String, Object> f = ReplayReport.failure(r);
        f.put("trace", o.names().get(k));
        failures.add(f);
      } else if (r.unsupported().isPresent()) {
        Replayer.Unsupported u = r.unsupported().get();
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("trace", o.names().get(k));
        f.put("step", u.step());
        f.put("action", u.action());
        f.put("reason", u.reason());
        unsupported.add(f);
      }
    }
    m.put("failures", failures);
    m.put("unsupported", unsupported);
    return m;
  }

  /** "steps per action: Access 412, UffdRead 98, ..., KvmAccess 0 (unsupported: ...)": what the kernel really ran. */
  public static String actionsLine(Outcome o) {
    List<String> parts = new ArrayList<>();
    o.actions().forEach((a, n) -> parts.add(a + " " + n + (n == 0 && o.unsupportedActions().containsKey(a)
        ? " (unsupported: " + o.unsupportedActions().get(a) + ")" : "")));
    return "steps per action: " + String.join(", ", parts);
  }

  public static String summary(Outcome o) {
    return String.format("traces: %d (%d passed, %d diverged, %d stopped at an unsupported step%s); steps: %d run and matched or diverged, "
            + "%d unsupported, %d not run after one; mapping counts not compared on %d steps (this target does not observe them); "
            + "divergences: %d", o.traces(), o.passed(), o.diverged(), o.unsupportedTraces(),
        o.continued() == 0 ? "" : "; " + o.continued() + " went on along the target's own branch", o.stepsRun(), o.stepsUnsupported(),
        o.stepsNotRun(), o.pagesUnchecked(), o.diverged());
  }
}
