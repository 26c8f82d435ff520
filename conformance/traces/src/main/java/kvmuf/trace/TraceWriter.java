package kvmuf.trace;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import kvmuf.model.Action;
import kvmuf.model.Observation;
import kvmuf.model.StepObservation;


/**
 * Writes the NDJSON trace format (conformance/TRACE-FORMAT.md): step lines and observations.
 * Writing is deterministic: fixed field order, expect sets sorted by their JSON text, no
 * whitespace, so a seed gives the same bytes. The header line is {@link TraceHeaderCodec}'s.
 */
public final class TraceWriter {
  private static final JsonFactory FACTORY = new JsonFactory();
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Map<StepObservation, String> TEXT = new ConcurrentHashMap<>();

  private TraceWriter() {}

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
    return TEXT.computeIfAbsent(o, TraceWriter::render);
  }

  /** An observation as a plain map (for --json reports). */
  public static Object tree(StepObservation o) {
    try {
      return MAPPER.readValue(text(o), Object.class);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Writes the trace whole or not at all: into a temporary file beside {@code file} (named .NAME...tmp, which
   * no reader of *.ndjson picks up), then renamed over it, so that an interrupted or disk-full run leaves no
   * half-written trace in a corpus.
   */
  public static void write(Path file, Trace t) {
    Path tmp = null;
    try {
      tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName(), ".tmp");
      try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        write(w, t);
      }
      try {
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      } catch (java.nio.file.AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": " + e.getMessage(), e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // a leftover .tmp is never read as a trace
        }
      }
    }
  }

  public static void write(Writer w, Trace t) throws IOException {
    w.write(TraceHeaderCodec.headerLine(t.header()));
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
      case Action.InvalidateBegin x -> x.gfn();
      case Action.AccessWrite x -> x.gfn();
      case Action.RemoteAccess x -> x.gfn();
      case Action.MmioAccess x -> x.gfn();
      case Action.FetchInstall x -> x.gfn();
      case Action.FetchClearBit x -> x.gfn();
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
      case Observation.MmioExit m -> {
        g.writeNumberField("gpa", m.gpa());
        g.writeNumberField("len", m.len());
        g.writeBooleanField("write", m.write());
      }
      case Observation.OtherExit x -> g.writeStringField("detail", x.detail());
      case Observation.NoProgress x -> g.writeStringField("detail", x.detail());
      case Observation.NoMessage x -> {}
      case Observation.KernelWarnings k -> {
        g.writeNumberField("count", k.count());
        g.writeStringField("first", k.first());
      }
    }
  }

  static void writeStrings(JsonGenerator g, String field, List<String> values) throws IOException {
    g.writeArrayFieldStart(field);
    for (String s : values) {
      g.writeString(s);
    }
    g.writeEndArray();
  }

  @FunctionalInterface
  interface GenWriter {
    void write(JsonGenerator g) throws IOException;
  }

  static String json(GenWriter body) {
    StringWriter w = new StringWriter(128);
    try (JsonGenerator g = FACTORY.createGenerator(w)) {
      body.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return w.toString();
  }

}
