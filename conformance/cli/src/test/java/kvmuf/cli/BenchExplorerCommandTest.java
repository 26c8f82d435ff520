package kvmuf.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** The explorer benchmark's output, not its speed (a benchmark is not a timed test). */
class BenchExplorerCommandTest {
  @Test
  void reportsBothEnginesOnTheSameStateSpace() throws Exception {
    CheckCommandTest.Run r = CheckCommandTest.run("bench", "explorer", "--config", "small-gmem", "--warmup", "1", "--json");
    assertThat(r.rc()).isEqualTo(ExitCodes.OK);
    JsonNode j = r.json();
    assertThat(j.path("agree").asBoolean()).isTrue();
    assertThat(j.path("engines")).hasSize(2);
    assertThat(j.path("engines").get(0).path("engine").asText()).isEqualTo("tlc");
    assertThat(j.path("engines").get(1).path("distinctStates").asLong()).isEqualTo(3839);
    assertThat(j.path("engines").get(0).path("distinctStates").asLong()).isEqualTo(3839);
    assertThat(j.path("ratio").asDouble()).isPositive();
    assertThat(j.path("javaWarmupRuns").asInt()).isEqualTo(1);
  }

  @Test
  void aTimeLimitedRunReportsWhetherEachEngineFinishedAndTheLoad() throws Exception {
    CheckCommandTest.Run r = CheckCommandTest.run("bench", "explorer", "--config", "small-gmem", "--max-seconds", "300", "--json");
    assertThat(r.rc()).isEqualTo(ExitCodes.OK);
    JsonNode j = r.json();
    assertThat(j.path("engines").get(0).path("complete").asBoolean()).isTrue();
    assertThat(j.path("engines").get(1).path("complete").asBoolean()).isTrue();
    assertThat(j.path("engines").get(1).path("distinctStates").asLong())
        .isEqualTo(kvmuf.spec.ExpectedVerdicts.load().find("small-gmem").orElseThrow().distinctStates());
    assertThat(j.path("agree").asBoolean()).isTrue();
    assertThat(j.path("loadAverageBefore").asText()).matches("[0-9.]+ [0-9.]+ [0-9.]+");
    assertThat(j.has("tlcSecondsForJavaCount")).as("TLC finished: no estimate").isFalse();
  }

  @Test
  void badArgumentsAreUsageErrors() {
    assertThat(CheckCommandTest.run("bench", "explorer", "--config", "huge").rc()).isEqualTo(ExitCodes.USAGE);
    assertThat(CheckCommandTest.run("bench", "explorer", "--warmup", "-1").rc()).isEqualTo(ExitCodes.USAGE);
    assertThat(CheckCommandTest.run("bench", "explorer", "--max-seconds", "-5").rc()).isEqualTo(ExitCodes.USAGE);
  }
}
