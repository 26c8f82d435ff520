package kvmuf.trace;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.MutantId;
import kvmuf.model.Observation;
import kvmuf.model.StepObservation;
import kvmuf.model.ValueClass;
import kvmuf.spec.SpecBundle;
import kvmuf.spec.UnknownNameException;

/**
 * Reads and writes the NDJSON trace format (conformance/TRACE-FORMAT.md). Writing is
 * deterministic: fixed field order, expect sets sorted by their JSON text, no whitespace, so a
 * seed gives the same bytes. Reading is strict: every problem is a {@link TraceFormatException}
 * naming the file, the line and the field. Fields whose name starts with {@code x_} are ignored.
 */
public final class TraceCodec {
  private static final JsonFactory FACTORY = new JsonFactory();
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Map<StepObservation, String> TEXT = new ConcurrentHashMap<>();
  private static final Map<String, Config> SHIPPED = new ConcurrentHashMap<>();
  private static final List<String> ACTIONS = List.of(
      "Access", "KvmAccess", "Install", "ClearBit", "ResumeVcpu", "UffdRead", "UffdInstall", "UffdWake",
      "SetBit", "EnableUserfault", "DisableUserfault", "EnableDirtyLog", "DisableDirtyLog", "Invalidate");
  private static final List<String> HIDDEN = List.of("CheckBitmap", "Lookup", "InstallSpte", "CommitMemslot", "Finished");

  private TraceCodec() {}

  /** The visible action names, in the order the spec lists them. */
  public static List<String> actionNames() {
    return ACTIONS;
  }

  // ------------------------------------------------------------------ writing

  public static String headerLine(TraceHeader h) {
    return json(g -> {
      g.writeStartObject();
      g.writeStringField("kind", "header");
      g.writeNumberField("format", h.format());
      g.writeFieldName("config");
      writeConfig(g, h.config());
      g.writeNumberField("seed", h.seed());
      g.writeStringField("profile", h.profile());
      g.writeStringField("generator", h.generator());
      g.writeEndObject();
    });
  }

  public static String stepLine(TraceStep s) {
    StringBuilder b = new StringBuilder(160);
    b.append("{\"i\":").append(s.i()).append(",\"actor\":\"").append(s.actor()).append("\",\"action\":\"")
        .append(s.action().name()).append("\",\"args\":");
    args(b, s.action());
    if (s.observedForm()) {
      b.append(",\"observed\":").append(text(s.observed()));
    } else {
      b.append(",\"expect\":[");
      List<String> texts = sortedTexts(s.observations());
      for (int k = 0; k < texts.size(); k++) {
        if (k > 0) {
          b.append(',');
        }
        b.append(texts.get(k));
      }
      b.append(']');
    }
    return b.append('}').toString();
  }

  /** One step for people: actor, action and args, e.g. {@code vcpu0 Access {"gfn":1}}. */
  public static String describe(TraceStep s) {
    StringBuilder b = new StringBuilder();
    b.append(s.actor()).append(' ').append(s.action().name()).append(' ');
    args(b, s.action());
    return b.toString();
  }

  public static List<String> sortedTexts(Collection<StepObservation> obs) {
    List<String> texts = new ArrayList<>(obs.size());
    for (StepObservation o : obs) {
      texts.add(text(o));
    }
    texts.sort(null);
    return texts;
  }

  /** The canonical JSON text of one observation (cached: the set of distinct observations is small). */
  public static String text(StepObservation o) {
    return TEXT.computeIfAbsent(o, TraceCodec::render);
  }

  /** An observation as a plain map (for --json reports). */
  public static Object tree(StepObservation o) {
    try {
      return MAPPER.readValue(text(o), Object.class);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  public static void write(Path file, Trace t) {
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      write(w, t);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static void write(Writer w, Trace t) throws IOException {
    w.write(headerLine(t.header()));
    w.write('\n');
    for (TraceStep s : t.steps()) {
      w.write(stepLine(s));
      w.write('\n');
    }
  }

  public static String toText(Trace t) {
    StringWriter w = new StringWriter();
    try {
      write(w, t);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return w.toString();
  }

  private static void args(StringBuilder b, Action a) {
    int gfn = switch (a) {
      case Action.Access x -> x.gfn();
      case Action.KvmAccess x -> x.gfn();
      case Action.UffdRead x -> x.gfn();
      case Action.UffdInstall x -> x.gfn();
      case Action.UffdWake x -> x.gfn();
      case Action.SetBit x -> x.gfn();
      case Action.Invalidate x -> x.gfn();
      default -> -1;
    };
    b.append(gfn < 0 ? "{}" : "{\"gfn\":" + gfn + "}");
  }

  private static String render(StepObservation o) {
    return json(g -> {
      g.writeStartObject();
      writeResult(g, o.result());
      if (!o.unblocked().isEmpty()) {
        g.writeObjectFieldStart("unblocked");
        for (var e : o.unblocked().entrySet()) {
          g.writeFieldName(e.getKey());
          g.writeStartObject();
          writeResult(g, e.getValue());
          g.writeEndObject();
        }
        g.writeEndObject();
      }
      g.writeNumberField("pages_4k", o.pages4k());
      g.writeNumberField("pages_2m", o.pages2m());
      g.writeEndObject();
    });
  }

  private static void writeResult(JsonGenerator g, Observation o) throws IOException {
    g.writeStringField("kind", o.kind().id);
    switch (o) {
      case Observation.Read r -> g.writeStringField("value", r.value().tla);
      case Observation.KvmRead r -> g.writeStringField("value", r.value().tla);
      case Observation.MemoryFaultExit e -> {
        g.writeNumberField("gpa", e.gpa());
        g.writeNumberField("size", e.size());
        writeStrings(g, "flags", e.flags());
      }
      case Observation.UffdBlocked b -> g.writeNumberField("address", b.address());
      case Observation.AsyncPf b -> g.writeNumberField("address", b.address());
      case Observation.Ioctl i -> g.writeStringField("result", i.result());
      case Observation.UffdEvent e -> {
        g.writeNumberField("address", e.address());
        writeStrings(g, "flags", e.flags());
      }
      case Observation.Retry r -> {}
      case Observation.Done d -> {}
      case Observation.SrcuWait w -> {}
    }
  }

  private static void writeStrings(JsonGenerator g, String field, List<String> values) throws IOException {
    g.writeArrayFieldStart(field);
    for (String s : values) {
      g.writeString(s);
    }
    g.writeEndArray();
  }

  private static void writeConfig(JsonGenerator g, Config c) throws IOException {
    g.writeStartObject();
    for (var e : constants(c).entrySet()) {
      g.writeFieldName(e.getKey());
      switch (e.getValue()) {
        case Integer n -> g.writeNumber(n);
        case Boolean b -> g.writeBoolean(b);
        case String s -> g.writeString(s);
        case List<?> l -> {
          g.writeStartArray();
          for (Object x : l) {
            g.writeString(x.toString());
          }
          g.writeEndArray();
        }
        default -> throw new IllegalStateException(e.getKey());
      }
    }
    g.writeEndObject();
  }

  /** The config as the header writes it: its name, then every spec constant by its TLA+ name. */
  public static Map<String, Object> constants(Config c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", c.name());
    m.put("Vcpus", c.vcpus());
    m.put("NumGfns", c.numGfns());
    m.put("HugeSpan", c.hugeSpan());
    m.put("SlotKind", c.slotKind().name().toLowerCase());
    m.put("Arch", c.arch().name().toLowerCase());
    m.put("UffdMode", c.uffdMode().name().toLowerCase());
    m.put("UserfaultUse", c.userfaultUse().name().toLowerCase());
    m.put("AsyncPf", c.asyncPf().name().toLowerCase());
    m.put("DirtyLog", c.dirtyLog());
    m.put("KvmAccesses", c.kvmAccesses());
    m.put("Accesses", c.accesses());
    m.put("MaxInvalidate", c.maxInvalidate());
    m.put("Mutants", c.mutants().stream().map(Enum::name).sorted().toList());
    return m;
  }

  @FunctionalInterface
  private interface GenWriter {
    void write(JsonGenerator g) throws IOException;
  }

  private static String json(GenWriter body) {
    StringWriter w = new StringWriter(128);
    try (JsonGenerator g = FACTORY.createGenerator(w)) {
      body.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return w.toString();
  }

  // ------------------------------------------------------------------ reading

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
    TraceHeader header = header(name, first + 1, tree(name, first + 1, lines.get(first)));
    Reader r = new Reader(name, header.config());
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

  private static TraceHeader header(String name, int line, JsonNode n) {
    Fields f = new Fields(name, line, "", n);
    if (!n.has("kind")) {
      throw new TraceFormatException(name, line, "kind", "missing field: the first line must be the header ({\"kind\":\"header\",...})");
    }
    String kind = f.text("kind");
    f.only("kind", "format", "config", "seed", "profile", "generator");
    if (!kind.equals("header")) {
      throw new TraceFormatException(name, line, "kind", "the first line must be the header (kind \"header\"), not \"" + kind + "\"");
    }
    long format = f.integer("format");
    if (format != TraceHeader.FORMAT) {
      throw new TraceFormatException(name, line, "format", "format " + format + " is not supported (this kit reads format " + TraceHeader.FORMAT + ")");
    }
    Config config = config(name, line, f.object("config"));
    long seed = f.integer("seed");
    String profile = f.text("profile");
    if (!Generator.profiles().contains(profile)) {
      throw new TraceFormatException(name, line, "profile", "unknown UAPI profile '" + profile + "'; valid: " + String.join(", ", Generator.profiles()));
    }
    String generator = f.text("generator");
    return new TraceHeader((int) format, config, seed, profile, generator);
  }

  private static Config config(String file, int line, JsonNode n) {
    Fields f = new Fields(file, line, "config.", n);
    String name = f.text("name");
    Config shipped;
    try {
      shipped = SHIPPED.computeIfAbsent(name, Config::load);
    } catch (UnknownNameException e) {
      throw new TraceFormatException(file, line, "config.name", "unknown config '" + name + "'; shipped: " + String.join(", ", SpecBundle.configNames()));
    }
    Set<MutantId> mutants = EnumSet.noneOf(MutantId.class);
    JsonNode ms = f.node("Mutants");
    if (!ms.isArray()) {
      throw new TraceFormatException(file, line, "config.Mutants", "expected an array of mutant ids");
    }
    for (JsonNode m : ms) {
      try {
        mutants.add(MutantId.valueOf(m.asText()));
      } catch (IllegalArgumentException e) {
        throw new TraceFormatException(file, line, "config.Mutants", "unknown mutant '" + m.asText() + "'");
      }
    }
    // The header's Mutants are the ones switched on (shipped configs have none).
    Config c = shipped.withMutants(mutants);
    Map<String, Object> want = constants(c);
    Set<String> known = want.keySet();
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!known.contains(k) && !k.startsWith("x_")) {
        throw new TraceFormatException(file, line, "config." + k, "unknown constant");
      }
    }
    for (var e : want.entrySet()) {
      if (e.getKey().equals("name") || e.getKey().equals("Mutants")) {
        continue;
      }
      JsonNode v = f.node(e.getKey());
      Object got = switch (e.getValue()) {
        case Integer x -> v.isInt() ? v.intValue() : v.toString();
        case Boolean x -> v.isBoolean() ? v.booleanValue() : v.toString();
        default -> v.isTextual() ? v.textValue() : v.toString();
      };
      if (!got.equals(e.getValue())) {
        throw new TraceFormatException(file, line, "config." + e.getKey(),
            "the trace says " + got + " but config '" + name + "' has " + e.getValue() + ": a trace for another config");
      }
    }
    return c;
  }

  /** Parses step lines against one config. */
  private static final class Reader {
    final String file;
    final Config config;

    Reader(String file, Config config) {
      this.file = file;
      this.config = config;
    }

    TraceStep step(int line, JsonNode n, int expectedIndex) {
      Fields f = new Fields(file, line, "", n);
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
      if (!ACTIONS.contains(name)) {
        throw new TraceFormatException(file, line, "action", HIDDEN.contains(name)
            ? "'" + name + "' is a hidden kernel-internal step; traces name API-level actions only: " + String.join(", ", ACTIONS)
            : "unknown action '" + name + "'; valid: " + String.join(", ", ACTIONS));
      }
      Fields args = new Fields(file, line, "args.", f.object("args"));
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

    private Action action(int line, String name, String actor, Fields args) {
      int vcpu = -1;
      if (name.equals("Access") || name.equals("KvmAccess") || name.equals("Install") || name.equals("ClearBit")
          || name.equals("ResumeVcpu")) {
        if (!actor.matches("vcpu[0-9]+")) {
          throw new TraceFormatException(file, line, "actor", name + " is issued by a vCPU thread (vcpu0..vcpu" + (config.vcpus() - 1) + "), not '" + actor + "'");
        }
        vcpu = Integer.parseInt(actor.substring(4));
        if (vcpu >= config.vcpus()) {
          throw new TraceFormatException(file, line, "actor", "vcpu" + vcpu + " out of range: config " + config.name() + " has " + config.vcpus() + " vCPUs (vcpu0..vcpu" + (config.vcpus() - 1) + ")");
        }
      } else {
        String want = name.startsWith("Uffd") ? "uffd" : "vmm";
        if (!actor.equals(want)) {
          throw new TraceFormatException(file, line, "actor", name + " is issued by '" + want + "', not '" + actor + "'");
        }
      }
      boolean takesGfn = switch (name) {
        case "Access", "KvmAccess", "UffdRead", "UffdInstall", "UffdWake", "SetBit", "Invalidate" -> true;
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
        case "Invalidate" -> new Action.Invalidate(gfn);
        case "EnableUserfault" -> new Action.EnableUserfault();
        case "DisableUserfault" -> new Action.DisableUserfault();
        case "EnableDirtyLog" -> new Action.EnableDirtyLog();
        case "DisableDirtyLog" -> new Action.DisableDirtyLog();
        default -> throw new IllegalStateException(name);
      };
    }

    private StepObservation observation(int line, String prefix, JsonNode n) {
      Fields f = new Fields(file, line, prefix, n);
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
      boolean notObserved = p4 == Target.PAGES_NOT_OBSERVED && p2 == Target.PAGES_NOT_OBSERVED;
      if (notObserved && prefix.equals("observed.")) {
        // A logged run of a target that cannot read the mapping counts: both -1, compared by nobody.
        return new StepObservation(result, unblocked, Target.PAGES_NOT_OBSERVED, Target.PAGES_NOT_OBSERVED);
      }
      if (p4 < 0 || p4 > config.numGfns()) {
        throw new TraceFormatException(file, line, prefix + "pages_4k", p4 + " out of range 0.." + config.numGfns());
      }
      if (p2 < 0 || p2 > config.numGfns() / config.hugeSpan()) {
        throw new TraceFormatException(file, line, prefix + "pages_2m", p2 + " out of range 0.." + config.numGfns() / config.hugeSpan());
      }
      return new StepObservation(result, unblocked, (int) p4, (int) p2);
    }

    private Observation result(int line, String prefix, JsonNode n, boolean top) {
      Fields f = new Fields(file, line, prefix, n);
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
      };
      return o;
    }

    private ValueClass value(Fields f) {
      String v = f.text("value");
      for (ValueClass c : ValueClass.values()) {
        if (c != ValueClass.NONE && c.tla.equals(v)) {
          return c;
        }
      }
      throw f.error("value", "unknown value class '" + v + "'; valid: fetched, zero, stale");
    }
  }

  /** Typed access to one JSON object's fields, with errors naming file, line and field. */
  private record Fields(String file, int line, String prefix, JsonNode n) {
    TraceFormatException error(String field, String msg) {
      return new TraceFormatException(file, line, prefix + field, msg);
    }

    JsonNode node(String field) {
      JsonNode v = n.get(field);
      if (v == null || v.isNull()) {
        throw error(field, "missing field");
      }
      return v;
    }

    String text(String field) {
      JsonNode v = node(field);
      if (!v.isTextual()) {
        throw error(field, "expected a string, got " + v.getNodeType().name().toLowerCase());
      }
      return v.textValue();
    }

    long integer(String field) {
      JsonNode v = node(field);
      if (!v.isIntegralNumber() || !v.canConvertToLong()) {
        throw error(field, "expected an integer, got " + (v.getNodeType() == JsonNodeType.NUMBER ? v.toString() : v.getNodeType().name().toLowerCase()));
      }
      return v.longValue();
    }

    JsonNode object(String field) {
      JsonNode v = node(field);
      if (!v.isObject()) {
        throw error(field, "expected an object");
      }
      return v;
    }

    List<String> strings(String field) {
      JsonNode v = node(field);
      if (!v.isArray()) {
        throw error(field, "expected an array of strings");
      }
      List<String> out = new ArrayList<>();
      for (JsonNode x : v) {
        if (!x.isTextual()) {
          throw error(field, "expected an array of strings");
        }
        out.add(x.textValue());
      }
      return out;
    }

    void only(String... allowed) {
      only(List.of(), allowed);
    }

    void only(List<String> extra, String... allowed) {
      List<String> ok = List.of(allowed);
      for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        if (!ok.contains(k) && !extra.contains(k) && !k.startsWith("x_")) {
          throw error(k, "unknown field");
        }
      }
    }
  }
}
