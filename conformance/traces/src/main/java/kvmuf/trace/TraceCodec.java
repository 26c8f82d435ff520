package kvmuf.trace;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import kvmuf.model.Action;
import kvmuf.model.Config;
import kvmuf.model.StepObservation;

/**
 * The NDJSON trace format (conformance/TRACE-FORMAT.md) in one place for callers: writing is
 * {@link TraceWriter}'s (deterministic bytes), reading {@link TraceReader}'s (strict, errors name
 * file, line and field), the header line {@link TraceHeaderCodec}'s.
 */
public final class TraceCodec {
  /** The visible actions (the model's action table), in the order the spec's Next lists them. */
  private static final List<String> ACTIONS =
      Action.kinds().stream().filter(Action::visible).map(Action::name).toList();

  private TraceCodec() {}

  /** The visible action names, in the order the spec lists them. */
  public static List<String> actionNames() {
    return ACTIONS;
  }

  public static String headerLine(TraceHeader h) {
    return TraceHeaderCodec.headerLine(h);
  }

  public static String stepLine(TraceStep s) {
    return TraceWriter.stepLine(s);
  }

  /** One step for people: actor, action and args, e.g. {@code vcpu0 Access {"gfn":1}}. */
  public static String describe(TraceStep s) {
    return TraceWriter.describe(s);
  }

  public static List<String> sortedTexts(Collection<StepObservation> obs) {
    return TraceWriter.sortedTexts(obs);
  }

  /** The canonical JSON text of one observation. */
  public static String text(StepObservation o) {
    return TraceWriter.text(o);
  }

  /** An observation as a plain map (for --json reports). */
  public static Object tree(StepObservation o) {
    return TraceWriter.tree(o);
  }

  public static void write(Path file, Trace t) {
    TraceWriter.write(file, t);
  }

  public static void write(Writer w, Trace t) throws IOException {
    TraceWriter.write(w, t);
  }

  public static String toText(Trace t) {
    return TraceWriter.toText(t);
  }

  /** The config as the header writes it: its name, then every spec constant by its TLA+ name. */
  public static Map<String, Object> constants(Config c) {
    return TraceHeaderCodec.constants(c);
  }

  /** Reads one trace file (strict). */
  public static Trace read(Path file) {
    return TraceReader.read(file);
  }

  public static Trace parse(String name, List<String> lines) {
    return TraceReader.parse(name, lines);
  }
}
