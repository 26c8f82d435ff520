package kvmuf.trace;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.Observation;
import kvmuf.model.StepObservation;
import kvmuf.model.ValueClass;


/**
 * Reads the NDJSON trace format (conformance/TRACE-FORMAT.md). Reading is strict: every problem
 * is a {@link TraceFormatException} naming the file, the line and the field. Fields whose name
 * starts with {@code x_} are ignored.
 */
public final class TraceReader {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private TraceReader() {}

  /** Reads one trace file (strict; see the class comment). */
  public static Trace read(Path file) {
    String name = file.toString();
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new TraceFormatException(name, 0, null, "no such file");
    } catch (IOException e) {
      throw new TraceFormatException(name, 0, null, "cannot read: " + e.getMessage());
    }
    return parse(name, lines);
  }

  public static Trace parse(String name, List<String> lines) {
    int first = 0;
    while (first < lines.size() && lines.get(first).isBlank()) {
      first++;
    }
    if (first == lines.size()) {
      throw new TraceFormatException(name, 1, null, "empty file: a trace starts with a header line");
    }
    TraceHeader header = TraceHeaderCodec.header(name, first + 1, tree(name, first + 1, lines.get(first)));
    StepReader r = new StepReader(name, header.config());
    List<TraceStep> steps = new ArrayList<>();
    Boolean observedForm = null;
    for (int k = first + 1; k < lines.size(); k++) {
      if (lines.get(k).isBlank()) {
        continue;
      }
      TraceStep s = r.step(k + 1, tree(name, k + 1, lines.get(k)), steps.size());
      if (observedForm != null && observedForm != s.observedForm()) {
        throw new TraceFormatException(name, k + 1, s.observedForm() ? "observed" : "expect",
            "a trace uses either expect (generated) or observed (logged) on every line, not both");
      }
      observedForm = s.observedForm();
      steps.add(s);
    }
    return new Trace(name, header, steps);
  }

  private static JsonNode tree(String name, int line, String text) {
    try {
      JsonNode n = MAPPER.readTree(text);
      if (n == null || !n.isObject()) {
        throw new TraceFormatException(name, line, null, "expected one JSON object per line");
      }
      return n;
    } catch (JsonProcessingException e) {
      throw new TraceFormatException(name, line, null, "malformed JSON: " + e.getOriginalMessage());
    }
  }

  /** Parses step lines against one config. */
  private static final class StepReader {
    final String file;
    final Config config;

    StepReader(String file, Config config) {
      this.file = file;
      this.config = config;
    }

    TraceStep step(int line, JsonNode n, int expectedIndex) {
      JsonFields f = new JsonFields(file, line, "", n);
      if (n.has("kind")) {
        throw new TraceFormatException(file, line, "kind", "only the first line is a header");
      }
      f.only("i", "actor", "action", "args", "expect", "observed");
      long i = f.integer("i");
      if (i != expectedIndex) {
        throw new TraceFormatException(file, line, "i", "expected step " + expectedIndex + ", got " + i);
      }
      String actor = f.text("actor");
      String name = f.text("action");
      if (!TraceCodec.actionNames().contains(name)) {
        throw new TraceFormatException(file, line, "action", Action.kindNamed(name).isPresent()
            ? "'" + name + "' is a hidden kernel-internal step; traces name API-level actions only: " + String.join(", ", TraceCodec.actionNames())
            : "unknown action '" + name + "'; valid: " + String.join(", ", TraceCodec.actionNames()));
      }
      JsonFields args = new JsonFields(file, line, "args.", f.object("args"));
      Action a = action(line, name, actor, args);
      boolean hasExpect = n.has("expect");
      boolean hasObserved = n.has("observed");
      if (hasExpect == hasObserved) {
        throw new TraceFormatException(file, line, hasExpect ? "observed" : "expect",
            hasExpect ? "a step has expect or observed, not both" : "missing field (a step needs expect or observed)");
      }
      if (hasObserved) {
        return new TraceStep((int) i, a, true, List.of(observation(line, "observed.", f.object("observed"))), line);
      }
      JsonNode arr = f.node("expect");
      if (!arr.isArray()) {
        throw new TraceFormatException(file, line, "expect", "expected an array of observations");
      }
      List<StepObservation> obs = new ArrayList<>();
      for (int k = 0; k < arr.size(); k++) {
        if (!arr.get(k).isObject()) {
          throw new TraceFormatException(file, line, "expect[" + k + "]", "expected an object");
        }
        obs.add(observation(line, "expect[" + k + "].", arr.get(k)));
      }
      return new TraceStep((int) i, a, false, obs, line);
    }

    private Action action(int line, String name, String actor, JsonFields args) {
      int vcpu = -1;
      Action.Actor who = Action.actorOf(name).orElseThrow();
      if (who.onVcpuThread()) {
        if (!actor.matches("vcpu[0-9]+")) {
          throw new TraceFormatException(file, line, "actor", name + " is issued by a vCPU thread (vcpu0..vcpu" + (config.vcpus() - 1) + "), not '" + actor + "'");
        }
        vcpu = Integer.parseInt(actor.substring(4));
        if (vcpu >= config.vcpus()) {
          throw new TraceFormatException(file, line, "actor", "vcpu" + vcpu + " out of range: config " + config.name() + " has " + config.vcpus() + " vCPUs (vcpu0..vcpu" + (config.vcpus() - 1) + ")");
        }
      } else {
        String want = Action.kindNamed(name).orElseThrow().actorName();
        if (!actor.equals(want)) {
          throw new TraceFormatException(file, line, "actor", name + " is issued by '" + want + "', not '" + actor + "'");
        }
      }
      boolean takesGfn = switch (name) {
        case "Access", "AccessWrite", "KvmAccess", "UffdRead", "UffdInstall", "UffdWake", "SetBit", "InvalidateBegin",
            "RemoteAccess", "MmioAccess", "FetchInstall", "FetchClearBit" -> true;
        default -> false;
      };
      int gfn = -1;
      if (takesGfn) {
        args.only("gfn");
        long g = args.integer("gfn");
        if (g < 0 || g >= config.numGfns()) {
          throw new TraceFormatException(file, line, "args.gfn", g + " out of range: config " + config.name() + " has gfns 0.." + (config.numGfns() - 1));
        }
        gfn = (int) g;
      } else {
        args.only();
      }
      return switch (name) {
        case "Access" -> new Action.Access(vcpu, gfn);
        case "KvmAccess" -> new Action.KvmAccess(vcpu, gfn);
        case "Install" -> new Action.Install(vcpu);
        case "ClearBit" -> new Action.ClearBit(vcpu);
        case "ResumeVcpu" -> new Action.ResumeVcpu(vcpu);
        case "UffdRead" -> new Action.UffdRead(gfn);
        case "UffdInstall" -> new Action.UffdInstall(gfn);
        case "UffdWake" -> new Action.UffdWake(gfn);
        case "SetBit" -> new Action.SetBit(gfn);
        case "InvalidateBegin" -> new Action.InvalidateBegin(gfn);
        case "AccessWrite" -> new Action.AccessWrite(vcpu, gfn);
        case "EnableUserfault" -> new Action.EnableUserfault();
        case "DisableUserfault" -> new Action.DisableUserfault();
        case "EnableDirtyLog" -> new Action.EnableDirtyLog();
        case "DisableDirtyLog" -> new Action.DisableDirtyLog();
        case "GuestWork" -> new Action.GuestWork(vcpu);
        case "RemoteAccess" -> new Action.RemoteAccess(gfn);
        case "DeleteSlot" -> new Action.DeleteSlot();
        case "MoveSlot" -> new Action.MoveSlot();
        case "MmioAccess" -> new Action.MmioAccess(vcpu, gfn);
        case "FetchInstall" -> new Action.FetchInstall(gfn);
        case "FetchClearBit" -> new Action.FetchClearBit(gfn);
        default -> throw new IllegalStateException(name);
      };
    }

    private StepObservation observation(int line, String prefix, JsonNode n) {
      JsonFields f = new JsonFields(file, line, prefix, n);
      Observation result = result(line, prefix, n, true);
      Map<String, Observation> unblocked = new TreeMap<>();
      if (n.has("unblocked")) {
        JsonNode u = f.object("unblocked");
        for (Iterator<Map.Entry<String, JsonNode>> it = u.fields(); it.hasNext(); ) {
          var e = it.next();
          String who = e.getKey();
          if (!who.equals("vmm") && !(who.matches("vcpu[0-9]+") && Integer.parseInt(who.substring(4)) < config.vcpus())) {
            throw new TraceFormatException(file, line, prefix + "unblocked." + who, "not an actor of config " + config.name());
          }
          if (!e.getValue().isObject()) {
            throw new TraceFormatException(file, line, prefix + "unblocked." + who, "expected an object");
          }
          unblocked.put(who, result(line, prefix + "unblocked." + who + ".", e.getValue(), false));
        }
      }
      long p4 = f.integer("pages_4k");
      long p2 = f.integer("pages_2m");
      // A logged run of a target that cannot read a mapping count: -1 there (one field or both), compared by nobody.
      boolean observedLine = prefix.equals("observed.");
      boolean p4Unseen = observedLine && p4 == Target.PAGES_NOT_OBSERVED;
      boolean p2Unseen = observedLine && p2 == Target.PAGES_NOT_OBSERVED;
      if (!p4Unseen && (p4 < 0 || p4 > config.numGfns())) {
        throw new TraceFormatException(file, line, prefix + "pages_4k", p4 + " out of range 0.." + config.numGfns());
      }
      if (!p2Unseen && (p2 < 0 || p2 > config.numGfns() / config.hugeSpan())) {
        throw new TraceFormatException(file, line, prefix + "pages_2m", p2 + " out of range 0.." + config.numGfns() / config.hugeSpan());
      }
      return new StepObservation(result, unblocked, (int) p4, (int) p2);
    }

    private Observation result(int line, String prefix, JsonNode n, boolean top) {
      JsonFields f = new JsonFields(file, line, prefix, n);
      String kindId = f.text("kind");
      Observation.Kind kind = Observation.Kind.byId(kindId);
      if (kind == null) {
        List<String> ids = new ArrayList<>();
        for (Observation.Kind k : Observation.Kind.values()) {
          ids.add(k.id);
        }
        throw new TraceFormatException(file, line, prefix + "kind", "unknown observation kind '" + kindId + "'; valid: " + String.join(", ", ids));
      }
      List<String> extra = top ? List.of("unblocked", "pages_4k", "pages_2m") : List.of();
      Observation o = switch (kind) {
        case READ -> { f.only(extra, "kind", "value"); yield new Observation.Read(value(f)); }
        case KVM_READ -> { f.only(extra, "kind", "value"); yield new Observation.KvmRead(value(f)); }
        case MEMORY_FAULT_EXIT -> {
          f.only(extra, "kind", "gpa", "size", "flags");
          yield new Observation.MemoryFaultExit(f.integer("gpa"), f.integer("size"), f.strings("flags"));
        }
        case UFFD_BLOCKED -> { f.only(extra, "kind", "address"); yield new Observation.UffdBlocked(f.integer("address")); }
        case ASYNC_PF -> { f.only(extra, "kind", "address"); yield new Observation.AsyncPf(f.integer("address")); }
        case RETRY -> { f.only(extra, "kind"); yield new Observation.Retry(); }
        case IOCTL -> { f.only(extra, "kind", "result"); yield new Observation.Ioctl(f.text("result")); }
        case UFFD_EVENT -> {
          f.only(extra, "kind", "address", "flags");
          yield new Observation.UffdEvent(f.integer("address"), f.strings("flags"));
        }
        case DONE -> { f.only(extra, "kind"); yield new Observation.Done(); }
        case SRCU_WAIT -> { f.only(extra, "kind"); yield new Observation.SrcuWait(); }
        case MMIO_EXIT -> {
          f.only(extra, "kind", "gpa", "len", "write");
          yield new Observation.MmioExit(f.integer("gpa"), (int) f.integer("len"), f.bool("write"));
        }
        case OTHER_EXIT -> { f.only(extra, "kind", "detail"); yield new Observation.OtherExit(f.text("detail")); }
        case NO_PROGRESS -> { f.only(extra, "kind", "detail"); yield new Observation.NoProgress(f.text("detail")); }
        case NO_MESSAGE -> { f.only(extra, "kind"); yield new Observation.NoMessage(); }
        case KERNEL_WARNINGS -> {
          f.only(extra, "kind", "count", "first");
          yield new Observation.KernelWarnings(f.integer("count"), f.text("first"));
        }
      };
      return o;
    }

    private ValueClass value(JsonFields f) {
      String v = f.text("value");
      for (ValueClass c : ValueClass.values()) {
        if (c != ValueClass.NONE && c.tla.equals(v)) {
          return c;
        }
      }
      throw f.error("value", "unknown value class '" + v + "'; valid: fetched, zero, stale");
    }
  }

}
