package kvmuf.tlc;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import kvmuf.check.CheckResult;
import kvmuf.check.TraceState;
import kvmuf.check.Verdict;
import kvmuf.spec.CfgFile;
import kvmuf.spec.SpecBundle;

/**
 * Has TLC follow a given behaviour (a Java counterexample) step by step under the spec's own
 * Init and Next, so a wrong Java step cannot hide behind an equal state count. TLC is given a
 * spec whose only behaviour is the trace: if every step is a Next step and the last state breaks
 * the property, the invariant {@code NotReproduced} fails, which is the answer "reproduced".
 */
public final class TlcTraceReplay {
  private static final Pattern INITIAL_VIOLATION = Pattern.compile("Invariant (\\w+) is violated by the initial state");
  private static final Pattern VCPUS = Pattern.compile("\\{([^}]*)}");

  private final TlcRunner tlc;

  public TlcTraceReplay(TlcRunner tlc) {
    this.tlc = tlc;
  }

  /** True when TLC follows every step of {@code trace} and its last state violates {@code property}. */
  public boolean reproduces(String configName, Optional<String> mutant, List<TraceState> trace, String property) {
    CfgFile cfg = SpecBundle.config(configName);
    return TlcRunner.inSpecFolder("kvmuf-replay-", dir -> {
      List<String> vcpus = vcpuNames(cfg.constant("Vcpus"));
      Files.writeString(dir.resolve("TraceCheck.tla"), module(vcpus, trace, property));
      Files.writeString(dir.resolve("TraceCheck.cfg"), config(cfg, mutant, vcpus));
      CheckResult r = tlc.runModule(dir, "TraceCheck.tla", "TraceCheck.cfg", configName, mutant);
      return r.verdict() == Verdict.VIOLATION && r.property().equals(Optional.of("NotReproduced"));
    });
  }

  /**
   * The property TLC reports for a behaviour that ends in {@code last} (distributed TLC prints the
   * behaviour but not the name): the first of the config's invariants, in its order, that the state
   * breaks, else Deadlock when no Next step leaves it and the config checks deadlock. One ordinary
   * TLC run on a spec whose only state is {@code last}; TLC itself decides, not the Java model.
   */
  public Optional<String> brokenBy(String configName, Optional<String> mutant, TraceState last) {
    CfgFile cfg = SpecBundle.config(configName);
    return TlcRunner.inSpecFolder("kvmuf-last-", dir -> {
      List<String> vcpus = vcpuNames(cfg.constant("Vcpus"));
      StringBuilder m = new StringBuilder("---- MODULE LastState ----\nEXTENDS MC, TLC\n");
      m.append("CONSTANTS ").append(String.join(", ", vcpus)).append("\n");
      m.append("LInit ==\n");
      last.vars().forEach((k, v) -> m.append("  /\\ ").append(k).append(" = ").append(v).append("\n"));
      m.append("LSpec == LInit /\\ [][FALSE]_vars\n");
      m.append("Stuck == ENABLED Next\n====\n");
      Files.writeString(dir.resolve("LastState.tla"), m.toString());
      CfgFile withMutant = CfgFile.parse(cfg.name(), cfg.withMutants(mutant.stream().toList()));
      StringBuilder c = new StringBuilder("SPECIFICATION LSpec\nCONSTANTS\n");
      for (String v : vcpus) {
        c.append("    ").append(v).append(" = ").append(v).append("\n");
      }
      withMutant.constants().forEach((k, v) -> c.append("    ").append(k).append(" = ").append(v).append("\n"));
      c.append("CHECK_DEADLOCK FALSE\nINVARIANTS\n");
      for (String inv : cfg.invariants()) {
        c.append("    ").append(inv).append("\n");
      }
      if (cfg.checkDeadlock()) {
        c.append("    Stuck\n");
      }
      Files.writeString(dir.resolve("LastState.cfg"), c.toString());
      CheckResult r = tlc.runModule(dir, "LastState.tla", "LastState.cfg", configName, mutant);
      // TLC reports an invariant broken by the initial state as an error (its own message code), by name
      Matcher im = INITIAL_VIOLATION.matcher(r.error().orElse(""));
      Optional<String> p = r.property().isPresent() ? r.property() : im.find() ? Optional.of(im.group(1)) : Optional.empty();
      return p.map(x -> x.equals("Stuck") ? CheckResult.DEADLOCK : x);
    });
  }

  static List<String> vcpuNames(String set) {
    Matcher m = VCPUS.matcher(set);
    if (!m.find()) {
      throw new IllegalArgumentException("Vcpus is not a set: " + set);
    }
    List<String> out = new ArrayList<>();
    for (String s : m.group(1).split(",")) {
      out.add(s.strip());
    }
    return out;
  }

  static String module(List<String> vcpus, List<TraceState> trace, String property) {
    StringBuilder b = new StringBuilder();
    b.append("---- MODULE TraceCheck ----\nEXTENDS MC, Sequences, TLC\n");
    b.append("CONSTANTS ").append(String.join(", ", vcpus)).append("\n");
    b.append("VARIABLE i\n");
    List<String> names = new ArrayList<>(trace.getFirst().vars().keySet());
    b.append("Rec == [");
    b.append(String.join(", ", names.stream().map(n -> n + " |-> " + n).toList()));
    b.append("]\n");
    b.append("T == <<\n");
    for (int k = 0; k < trace.size(); k++) {
      Map<String, String> vars = trace.get(k).vars();
      b.append("  [").append(String.join(", ", names.stream().map(n -> n + " |-> " + vars.get(n)).toList())).append("]");
      b.append(k + 1 < trace.size() ? ",\n" : "\n");
    }
    b.append(">>\n");
    b.append("TInit == Init /\\ i = 1 /\\ Rec = T[1]\n");
    b.append("TNext == i < Len(T) /\\ Next /\\ i' = i + 1 /\\ Rec' = T[i + 1]\n");
    b.append("TSpec == TInit /\\ [][TNext]_<<vars, i>>\n");
    String broken = property.equals(CheckResult.DEADLOCK) ? "~ENABLED Next" : "~" + property;
    b.append("NotReproduced == ~(i = Len(T) /\\ ").append(broken).append(")\n");
    b.append("====\n");
    return b.toString();
  }

  static String config(CfgFile cfg, Optional<String> mutant, List<String> vcpus) {
    CfgFile withMutant = CfgFile.parse(cfg.name(), cfg.withMutants(mutant.stream().toList()));
    StringBuilder b = new StringBuilder("SPECIFICATION TSpec\nCONSTANTS\n");
    for (String v : vcpus) {
      b.append("    ").append(v).append(" = ").append(v).append("\n");
    }
    withMutant.constants().forEach((k, v) -> b.append("    ").append(k).append(" = ").append(v).append("\n"));
    b.append("CHECK_DEADLOCK FALSE\nINVARIANT NotReproduced\n");
    return b.toString();
  }
}
