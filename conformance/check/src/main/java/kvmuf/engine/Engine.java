package kvmuf.engine;

import java.util.Optional;
import java.util.function.Consumer;
import kvmuf.check.CheckResult;
import kvmuf.explore.Explorer;
import kvmuf.model.Config;
import kvmuf.spec.ExpectedVerdict;
import kvmuf.spec.ExpectedVerdicts;
import kvmuf.tlc.DistributedTlc;
import kvmuf.tlc.TlcRunner;

/** The two model checkers behind {@code kvmuf check}: TLC on the spec, the explorer on the Java model. */
public enum Engine {
  TLC,
  JAVA;

  public String id() {
    return name().toLowerCase();
  }

  public CheckResult run(String config, Optional<String> mutant, int workers, Consumer<String> progress) {
    return switch (this) {
      case TLC -> TlcRunner.locate().run(config, mutant, workers, progress);
      case JAVA -> explorer(config, mutant, workers, progress).run();
    };
  }

  /**
   * As {@link #run}, with TLC in its distributed mode where {@code rmiPort} is given: a TLC server and
   * {@code workers} worker processes on loopback ({@link DistributedTlc}). The Java engine has no such mode.
   */
  public CheckResult run(String config, Optional<String> mutant, int workers, Optional<Integer> rmiPort,
      Consumer<String> progress) {
    if (this == TLC && rmiPort.isPresent()) {
      return new DistributedTlc(TlcRunner.locate()).run(config, mutant, workers, rmiPort.get(), progress);
    }
    return run(config, mutant, workers, progress);
  }

  public static Explorer explorer(String config, Optional<String> mutant, int workers, Consumer<String> progress) {
    Config c = Config.load(config, mutant);
    // Size the seen-set from the recorded count where the search is expected to complete.
    long hint = mutant.isPresent() ? 0 : ExpectedVerdicts.load().find(config).map(ExpectedVerdict::distinctStates).orElse(0L);
    return new Explorer(c, workers, hint, progress);
  }
}
