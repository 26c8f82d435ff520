package kvmuf.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TimelineTest {
  private static TraceState state(int i, String action, String pc, String queue) {
    Map<String, String> vars = new LinkedHashMap<>();
    vars.put("pc", pc);
    vars.put("uffdQueue", queue);
    return new TraceState(i, action, vars);
  }

  @Test
  void functionValuesShowOnlyTheChangedEntryAndTheActingVcpu() {
    List<TraceState> trace = List.of(
        state(1, "Init", "(v1 :> \"idle\" @@ v2 :> \"idle\")", "{}"),
        state(2, "Lookup", "(v1 :> \"idle\" @@ v2 :> \"uffd_waiting\")", "{0}"),
        state(3, "UffdRead", "(v1 :> \"idle\" @@ v2 :> \"uffd_waiting\")", "{}"));
    List<Timeline.Row> steps = Timeline.of(trace);
    assertThat(steps.get(1).actor()).isEqualTo("v2");
    assertThat(steps.get(1).changes()).extracting(Timeline.Change::text)
        .containsExactly("pc[v2]: \"idle\" -> \"uffd_waiting\"", "uffdQueue: {} -> {0}");
    assertThat(steps.get(2).actor()).isEqualTo("vmm:uffd-reader");
  }

  @Test
  void theActionTableNamesTheExitHandlerTheKernelAndTheVmm() {
    List<TraceState> trace = List.of(
        state(1, "Init", "(v1 :> \"idle\")", "{}"),
        state(2, "ResumeVcpu", "(v1 :> \"fault\")", "{}"),
        state(3, "CommitMemslot", "(v1 :> \"fault\")", "{1}"),
        state(4, "EnableDirtyLog", "(v1 :> \"fault\")", "{2}"),
        state(5, "Finished", "(v1 :> \"fault\")", "{}"));
    List<Timeline.Row> steps = Timeline.of(trace);
    assertThat(steps).extracting(Timeline.Row::actor)
        .containsExactly("vmm", "vmm:exit(v1)", "kvm", "vmm", "vmm");
  }

  @Test
  void nestedValuesDoNotSplitAFunction() {
    assertThat(TlaValue.asFunction("(v1 :> {\"USERFAULT\"} @@ v2 :> <<1, 2>>)").orElseThrow())
        .containsEntry("v1", "{\"USERFAULT\"}")
        .containsEntry("v2", "<<1, 2>>");
    assertThat(TlaValue.asFunction("{1, 2}")).isEmpty();
  }
}
