package kvmuf.tlc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import kvmuf.check.CheckResult;
import kvmuf.check.Verdict;
import kvmuf.proc.RunCleanup;
import kvmuf.spec.CfgFile;
import kvmuf.spec.SpecBundle;

/**
 * TLC's own distributed mode on this machine: one {@code tlc2.tool.distributed.TLCServer} (it
 * parses the spec, holds the fingerprint set and the state queue, and prints the usual
 * {@code -tool} messages) and N {@code tlc2.tool.distributed.TLCWorker} processes, one worker
 * thread each, that compute successors and reach the server by RMI on loopback. All come from the
 * same tools jar as the ordinary run; the result is read by the same {@link TlcOutputParser}.
 *
 * <p>The server's RMI registry listens on {@code port} (TLC's system property
 * {@code tlc2.tool.distributed.TLCServer.port}, default 10997; workers read the same property to
 * find it). A port already taken is reported before anything starts.
 */
public final class DistributedTlc {
  /** TLC's default RMI registry port for the server. */
  public static final int DEFAULT_PORT = 10997;
  static final String PORT_PROPERTY = "tlc2.tool.distributed.TLCServer.port";
  static final String THREADS_PROPERTY = "tlc2.tool.distributed.TLCWorker.threadCount";

  private final TlcRunner tlc;

  public DistributedTlc(TlcRunner tlc) {
    this.tlc = tlc;
  }

  public CheckResult run(String configName, Optional<String> mutant, int workers, int port, Consumer<String> progress) {
    if (workers < 1) {
      throw new IllegalArgumentException("at least one TLC worker");
    }
    requireFree(port);
    CfgFile cfg = SpecBundle.config(configName);
    return TlcRunner.inSpecFolder("kvmuf-tlc-dist-", dir -> {
      Files.writeString(dir.resolve("run.cfg"), cfg.withMutants(mutant.stream().toList()));
      return runIn(dir, configName, mutant, workers, port, progress);
    });
  }

  /** The registry binds the wildcard address; so does this probe, so a listener on any address counts. */
  static void requireFree(int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("RMI port " + port + " is outside 1..65535");
    }
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(new InetSocketAddress(port));
    } catch (BindException e) {
      throw new TlcSetupException("distributed TLC: RMI port " + port + " is taken (another TLC server or program listens"
          + " on it); choose another with --rmi-port");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private List<String> java(String mainClass, int port) {
    return new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:+UseParallelGC",
        "-D" + PORT_PROPERTY + "=" + port,
        // the stubs the server hands out name loopback, never the machine's external address
        "-Djava.rmi.server.hostname=127.0.0.1",
        "-cp", tlc.toolsJar().toString(),
        mainClass));
  }

  private CheckResult runIn(Path dir, String configName, Optional<String> mutant, int workers, int port,
      Consumer<String> progress) throws IOException {
    long t0 = System.nanoTime();
    List<String> server = java("tlc2.tool.distributed.TLCServer", port);
    server.addAll(List.of("-tool", "-metadir", dir.resolve("meta").toString(), "-config", dir.resolve("run.cfg").toString(),
        SpecBundle.MC_MODULE));
    List<Process> started = new ArrayList<>();
    AtomicBoolean workersGone = new AtomicBoolean();
    try {
      Process s = new ProcessBuilder(server).directory(dir.toFile()).redirectErrorStream(true).start();
      RunCleanup.killOnExit(s);
      started.add(s);
      boolean[] launched = {false};
      CheckResult r = tlc.collect(s, t0, configName, mutant, workers, progress, line -> {
        // Workers start once the server says it is ready (message 7000): a worker that connected while the
        // server still set up failed at random here with TLC 2.18 ("Failed to intern ...").
        if (!launched[0] && line.startsWith("TLC server at ") && line.contains(" is ready")) {
          launched[0] = true;
          started.addAll(startWorkers(dir, workers, port, s, workersGone));
        }
      });
      if (workersGone.get()) {
        return error(r, "every TLC worker ended before the server finished; the first worker said: " + firstLines(dir));
      }
      if (r.property().isEmpty() && !r.trace().isEmpty()) {
        // Distributed TLC prints the behaviour of a violation but not which property it breaks: TLC names it.
        Optional<String> broken = new TlcTraceReplay(tlc).brokenBy(configName, mutant, r.trace().getLast());
        if (broken.isPresent()) {
          return new CheckResult(r.engine(), r.config(), r.mutant(), r.workers(), Verdict.VIOLATION, broken,
              r.distinctStates(), r.statesGenerated(), r.depth(), r.seconds(), r.trace(), Optional.empty());
        }
      }
      return r;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while distributed TLC ran", e);
    } finally {
      for (Process p : started) {
        RunCleanup.kill(p); // the workers end on their own once the server says "work completed"; this is for failures
        RunCleanup.forget(p);
      }
    }
  }

  /** Starts the workers; when every one has ended and the server still runs 15 s later, stops the server. */
  private List<Process> startWorkers(Path dir, int workers, int port, Process server, AtomicBoolean workersGone) {
    List<Process> out = new ArrayList<>();
    try {
      for (int w = 0; w < workers; w++) {
        List<String> worker = java("tlc2.tool.distributed.TLCWorker", port);
        worker.add(1, "-D" + THREADS_PROPERTY + "=1");
        worker.add("127.0.0.1");
        // the worker's own output is not the result (the server's is); it stays in the run folder
        Process p = new ProcessBuilder(worker).directory(dir.toFile()).redirectErrorStream(true)
            .redirectOutput(dir.resolve("worker" + w + ".log").toFile()).start();
        RunCleanup.killOnExit(p);
        out.add(p);
      }
    } catch (IOException e) {
      server.destroy();
      throw new UncheckedIOException(e);
    }
    CompletableFuture.allOf(out.stream().map(Process::onExit).toArray(CompletableFuture[]::new)).thenRun(() -> {
      try {
        if (!server.waitFor(15, TimeUnit.SECONDS)) {
          workersGone.set(true);
          server.destroy(); // the server would wait for workers for ever
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    return out;
  }

  private static String firstLines(Path dir) {
    try {
      List<String> lines = Files.readAllLines(dir.resolve("worker0.log"));
      return String.join(" ", lines.stream().filter(l -> l.startsWith("Error") || l.contains("Exception")).limit(2).toList());
    } catch (IOException e) {
      return "(no log)";
    }
  }

  private static CheckResult error(CheckResult r, String why) {
    return new CheckResult(r.engine(), r.config(), r.mutant(), r.workers(), Verdict.ERROR, Optional.empty(),
        r.distinctStates(), r.statesGenerated(), r.depth(), r.seconds(), r.trace(), Optional.of(why));
  }
}
