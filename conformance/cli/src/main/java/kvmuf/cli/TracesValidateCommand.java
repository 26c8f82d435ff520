package kvmuf.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import kvmuf.trace.Trace;
import kvmuf.trace.TraceCodec;
import kvmuf.trace.TraceStep;
import kvmuf.trace.Validator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kvmuf traces validate}: is a logged run a behaviour of the model? */
@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    description = {
      "Check a logged run (observed lines, possibly from concurrent vCPU, uffd and VMM threads;",
      "each line logged when its call returned) against the model: it is accepted if some",
      "behaviour of the model explains it, hidden kernel steps and the early start of other",
      "threads' calls filled in by search. Otherwise it names the first unexplained line and the",
      "longest explained prefix. Each line's own result, mapping sizes and logged 'unblocked'",
      "entries are compared (a log may omit 'unblocked'). Traces with expect sets are accepted",
      "if each line matches one of its expected observations.",
      "",
      "Exit codes: 0 accepted, 1 rejected (or undecided: the search bound was hit), 2 usage error or bad trace."
    })
public final class TracesValidateCommand implements Callable<Integer> {

  @Parameters(paramLabel = "FILE", description = "The logged run (NDJSON).")
  Path file;

  @Option(names = "--bound", defaultValue = "" + Validator.DEFAULT_BOUND, description = "Search nodes per line before giving up (default: ${DEFAULT-VALUE}).")
  int bound;

  @Option(names = "--json", description = "Print one JSON object.")
  boolean json;

  @Override
  public Integer call() {
    if (bound < 1) {
      throw KvmufException.usage("--bound must be at least 1");
    }
    Trace t = TraceFiles.read(file);
    Validator.Result r = new Validator(bound).validate(t);
    String verdict = r.accepted() ? "accepted" : r.rejected() ? "rejected" : "undecided";
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("file", file.toString());
      m.put("verdict", verdict);
      m.put("lines", t.steps().size());
      m.put("explained_prefix", r.explained());
      m.put("search_bound", bound);
      m.put("bound_hit", r.boundHit());
      m.put("most_nodes_per_line", r.mostNodes());
      if (!r.accepted()) {
        TraceStep s = t.steps().get(r.firstUnexplained());
        m.put("first_unexplained_line", r.firstUnexplainedLine());
        m.put("first_unexplained_step", r.firstUnexplained());
        m.put("actor", s.actor());
        m.put("action", s.action().name());
        m.put("logged", r.loggedAtFailure().map(TraceCodec::tree).orElse(null));
        m.put("model_allows", r.possibleAtFailure().stream().map(TraceCodec::tree).toList());
      }
      System.out.println(Json.write(m));
    } else if (r.accepted()) {
      System.out.printf("%s: accepted: all %d lines explained by a behaviour of the model%s%n", file, t.steps().size(),
          r.boundHit() ? " (the search bound was hit on some line; the explanation found is still a real behaviour)" : "");
    } else {
      TraceStep s = t.steps().get(r.firstUnexplained());
      System.out.printf("%s:%d: %s: line %d (step %d, %s) is not explained by any behaviour of the model%s%n", file,
          r.firstUnexplainedLine(), verdict, r.firstUnexplainedLine(), r.firstUnexplained(), TraceCodec.describe(s),
          r.boundHit() ? " within the search bound " + bound : "");
      r.loggedAtFailure().ifPresent(o -> System.out.println("  logged:       " + TraceCodec.text(o)));
      System.out.println("  model allows: " + (r.possibleAtFailure().isEmpty() ? "(the action cannot happen here)"
          : String.join(" ", r.possibleAtFailure().stream().map(TraceCodec::text).toList())));
      System.out.println("  longest explained prefix: " + (r.explained() == 0 ? "none (the first step is unexplained)"
          : r.explained() + " steps (0.." + (r.explained() - 1) + ", up to line " + t.steps().get(r.explained() - 1).line() + ")"));
    }
    return r.accepted() ? ExitCodes.OK : ExitCodes.VIOLATION;
  }
}
