package kvmuf.tlc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Optional;
import kvmuf.check.CheckResult;
import kvmuf.check.Verdict;
import kvmuf.spec.ExpectedVerdicts;
import org.junit.jupiter.api.Test;

/** TLC's distributed mode: a server and two worker processes on loopback reach the recorded count. */
class DistributedTlcTest {
  private static final DistributedTlc TLC = new DistributedTlc(TlcRunner.locate());

  /** A port nobody listens on right now (the kernel's pick for an ephemeral bind). */
  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void aServerAndTwoWorkersOnLoopbackFindTheRecordedCount() throws IOException {
    CheckResult r = TLC.run("small-gmem", Optional.empty(), 2, freePort(), s -> {});
    assertThat(r.error()).isEmpty();
    assertThat(r.verdict()).isEqualTo(Verdict.OK);
    assertThat(r.workers()).isEqualTo(2);
    assertThat(r.distinctStates()).isEqualTo(ExpectedVerdicts.load().find("small-gmem").orElseThrow().distinctStates());
  }

  @Test
  void aMutantFailsItsPropertyWithACounterexample() throws IOException {
    CheckResult r = TLC.run("small-gmem", Optional.of("WrongExitFlags"), 2, freePort(), s -> {});
    assertThat(r.verdict()).isEqualTo(Verdict.VIOLATION);
    assertThat(r.property()).contains("ExitWellFormed");
    assertThat(r.trace()).hasSizeGreaterThan(1);
  }

  @Test
  void aTakenPortIsOneLineBeforeAnythingStarts() throws IOException {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", 0));
      int port = taken.getLocalPort();
      assertThatThrownBy(() -> TLC.run("small-gmem", Optional.empty(), 2, port, s -> {}))
          .isInstanceOf(TlcSetupException.class)
          .hasMessage("distributed TLC: RMI port " + port + " is taken (another TLC server or program listens on it);"
              + " choose another with --rmi-port")
          .message().doesNotContain("\n");
    }
  }
}
