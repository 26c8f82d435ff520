package kvmuf.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import kvmuf.trace.Shrinker;
import kvmuf.trace.Trace;
import kvmuf.trace.TraceCodec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kvmuf traces shrink}: delta debugging to a minimal failing trace. */
@Command(
    name = "shrink",
    mixinStandardHelpOptions = true,
    description = {
      "Reduce a failing trace by delta debugging to a minimal trace that fails the same way:",
      "diverges (replay on the model diverges at the same step content for the same reason) or",
      "violates (the model reaches a state breaking the same invariant; mutant configs). The",
      "result is 1-minimal (no single step can go) and shrinking it again changes nothing.",
      "Writes the trace to --out, or to stdout (the summary then goes to stderr).",
      "",
      "Exit codes: 0 shrunk, 2 usage error, bad trace, or the trace does not fail that way."
    })
public final class TracesShrinkCommand implements Callable<Integer> {

  @Parameters(paramLabel = "FILE", description = "The failing trace (NDJSON).")
  Path file;

  @Option(names = "--until", required = true, description = "diverges or violates.")
  String until;

  @Option(names = "--out", paramLabel = "FILE", description = "Where to write the shrunk trace (default: stdout).")
  Path out;

  @Option(names = "--json", description = "Print a JSON summary (requires --out).")
  boolean json;

  @Override
  public Integer call() {
    Shrinker.Until u = switch (until) {
      case "diverges" -> Shrinker.Until.DIVERGES;
      case "violates" -> Shrinker.Until.VIOLATES;
      default -> throw KvmufException.usage("unknown --until '" + until + "'; valid: diverges, violates");
    };
    if (json && out == null) {
      throw KvmufException.usage("--json needs --out (stdout would carry both the trace and the summary)");
    }
    Trace t = TraceFiles.read(file);
    Optional<Shrinker.Result> r = new Shrinker(u).shrink(t);
    if (r.isEmpty()) {
      throw KvmufException.usage(file + ": the trace does not " + (u == Shrinker.Until.DIVERGES ? "diverge on the model" : "violate an invariant") + ": nothing to shrink");
    }
    Trace shrunk = r.get().shrunk();
    PrintStream summary = System.out;
    if (out != null) {
      TraceCodec.write(out, shrunk);
    } else {
      System.out.print(TraceCodec.toText(shrunk));
      System.out.flush();
      summary = System.err;
    }
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("file", file.toString());
      m.put("out", out.toString());
      m.put("until", until);
      m.put("failure", r.get().failure());
      m.put("steps_before", r.get().originalSteps());
      m.put("steps_after", shrunk.steps().size());
      m.put("replays", r.get().tests());
      System.out.println(Json.write(m));
    } else {
      summary.printf("shrunk %s from %d to %d steps (%d replays); it still fails the same way: %s%n", file,
          r.get().originalSteps(), shrunk.steps().size(), r.get().tests(), r.get().failure());
    }
    return ExitCodes.OK;
  }

}
