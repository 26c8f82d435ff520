package kvmuf.tlc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TlcOutputParserTest {
  private static final String VIOLATION = """
      @!@!@STARTMSG 2185:0 @!@!@
      Starting... (2026-11-26 08:37:38)
      @!@!@ENDMSG 2185 @!@!@
      @!@!@STARTMSG 2110:1 @!@!@
      Invariant ExitWellFormed is violated.
      @!@!@ENDMSG 2110 @!@!@
      @!@!@STARTMSG 2121:1 @!@!@
      The behavior up to this point is:
      @!@!@ENDMSG 2121 @!@!@
      @!@!@STARTMSG 2217:4 @!@!@
      1: <Initial predicate>
      /\\ pc = (v1 :> "idle" @@ v2 :> "idle")
      /\\ mmuSeq = 0

      @!@!@ENDMSG 2217 @!@!@
      @!@!@STARTMSG 2217:4 @!@!@
      2: <Access line 242, col 5 to line 254, col 93 of module KvmUserfault>
      /\\ pc = (v1 :> "faulted" @@
        v2 :> "idle")
      /\\ mmuSeq = 0

      @!@!@ENDMSG 2217 @!@!@
      @!@!@STARTMSG 2200:0 @!@!@
      Progress(3) at 2026-11-26 08:37:39: 10 states generated (618 s/min), 8 distinct states found (494 ds/min), 5 states left on queue.
      @!@!@ENDMSG 2200 @!@!@
      @!@!@STARTMSG 2194:0 @!@!@
      The depth of the complete state graph search is 3.
      @!@!@ENDMSG 2194 @!@!@
      @!@!@STARTMSG 2186:0 @!@!@
      Finished in 00s at (2026-11-26 08:37:39)
      @!@!@ENDMSG 2186 @!@!@
      """;

  @Test
  void readsPropertyTraceCountsAndProgress() {
    List<String> progress = new ArrayList<>();
    TlcOutputParser p = new TlcOutputParser(progress::add);
    VIOLATION.lines().forEach(p::line);
    assertThat(p.property()).contains("ExitWellFormed");
    assertThat(p.success()).isFalse();
    assertThat(p.distinct()).isEqualTo(8);
    assertThat(p.generated()).isEqualTo(10);
    assertThat(p.depth()).isEqualTo(3);
    // TLC's progress report, and before it the start (TLC's first report comes only after a minute).
    assertThat(progress).hasSize(2);
    assertThat(progress.get(0)).startsWith("Starting...");
    assertThat(progress.get(1)).startsWith("Progress(3)").contains("8 distinct states found");
    assertThat(p.trace()).hasSize(2);
    assertThat(p.trace().get(0).action()).isEqualTo("Init");
    assertThat(p.trace().get(1).action()).isEqualTo("Access");
    assertThat(p.trace().get(1).vars()).containsEntry("pc", "(v1 :> \"faulted\" @@ v2 :> \"idle\")");
  }

  @Test
  void parseErrorsAreReportedNotSwallowed() {
    TlcOutputParser p = new TlcOutputParser(s -> {});
    """
        @!@!@STARTMSG 1000:1 @!@!@
        TLC threw an unexpected exception.
        @!@!@ENDMSG 1000 @!@!@
        """.lines().forEach(p::line);
    assertThat(p.property()).isEmpty();
    assertThat(p.errors()).containsExactly("TLC threw an unexpected exception.");
  }
}
