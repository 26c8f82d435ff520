package kvmuf.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import kvmuf.spec.Mutant;
import kvmuf.spec.MutantCatalogue;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kvmuf mutants}: the catalogue of known bugs the spec can switch on. */
@Command(
    name = "mutants",
    mixinStandardHelpOptions = true,
    description = {
      "List the mutant catalogue (spec/mutants.tsv): each known race or design mistake from",
      "review, the config it is checked on and the property it must break.",
      "Check one with: kvmuf check --mutant ID"
    })
public final class MutantsCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  private java.io.PrintWriter out() {
    return spec.commandLine().getOut();
  }

  @Option(names = "--json", description = "Print a JSON array instead of a table.")
  boolean json;

  @Override
  public Integer call() {
    List<Mutant> all = MutantCatalogue.load().mutants();
    if (json) {
      List<Object> out = new ArrayList<>();
      for (Mutant m : all) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("id", m.id());
        o.put("review", m.review());
        o.put("config", m.config());
        o.put("property", m.property());
        o.put("description", m.description());
        out.add(o);
      }
      out().println(Json.write(out));
    } else {
      out().printf("%-22s %-6s %-12s %-24s %s%n", "ID", "REVIEW", "CONFIG", "MUST FAIL", "WHAT GOES WRONG");
      for (Mutant m : all) {
        out().printf("%-22s %-6s %-12s %-24s %s%n", m.id(), m.review(), m.config(), m.property(), m.description());
      }
    }
    return ExitCodes.OK;
  }
}
