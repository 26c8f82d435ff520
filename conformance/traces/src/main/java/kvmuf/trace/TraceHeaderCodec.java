package kvmuf.trace;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import kvmuf.model.Config;
import kvmuf.model.MutantId;
import kvmuf.spec.SpecBundle;
import kvmuf.spec.UnknownNameException;


/**
 * The trace header line (conformance/TRACE-FORMAT.md): written with the config's constants by
 * their TLA+ names, read strictly against the shipped config of that name (every problem a
 * {@link TraceFormatException} naming file, line and field).
 */
public final class TraceHeaderCodec {
  private static final Map<String, Config> SHIPPED = new ConcurrentHashMap<>();

  private TraceHeaderCodec() {}

  public static String headerLine(TraceHeader h) {
    return TraceWriter.json(g -> {
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
    m.put("SlotKind", c.slotKind().tla);
    m.put("Arch", c.arch().name().toLowerCase());
    m.put("UffdMode", c.uffdMode().name().toLowerCase());
    m.put("UserfaultUse", c.userfaultUse().name().toLowerCase());
    m.put("AsyncPf", c.asyncPf().name().toLowerCase());
    m.put("DirtyLog", c.dirtyLog());
    m.put("KvmAccesses", c.kvmAccesses());
    m.put("Accesses", c.accesses());
    m.put("MaxInvalidate", c.maxInvalidate());
    m.put("Writes", c.writes());
    m.put("SlotZap", c.slotZap().name().toLowerCase());
    m.put("BackgroundFetch", c.backgroundFetch());
    m.put("SlotChanges", c.slotChanges().name().toLowerCase());
    m.put("RemoteAccessor", c.remoteAccessor().name().toLowerCase());
    m.put("Mutants", c.mutants().stream().map(Enum::name).sorted().toList());
    return m;
  }

  static TraceHeader header(String name, int line, JsonNode n) {
    JsonFields f = new JsonFields(name, line, "", n);
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

  /** Constants a header may leave out, with the value such a header means (what every config had before them). */
  private static final Map<String, Object> LATER_DEFAULTS = Map.of("SlotZap", "memslot", "BackgroundFetch", false,
      "SlotChanges", "none", "RemoteAccessor", "none", "Writes", false);

  private static Config config(String file, int line, JsonNode n) {
    JsonFields f = new JsonFields(file, line, "config.", n);
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
      // Constants added after format 1 was first written: a trace that predates them has their default.
      if (!n.has(e.getKey()) && e.getValue().equals(LATER_DEFAULTS.get(e.getKey()))) {
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

}
