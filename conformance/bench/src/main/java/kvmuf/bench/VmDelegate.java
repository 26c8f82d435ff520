package kvmuf.bench;

import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * How --target vm reaches a VM: run a kvmuf command line inside a kernel booted under QEMU and hand back its
 * output. The VM runner (kvmuf.vm, branch vm) provides the implementation; this bench only builds the command
 * (the same bench with --target host --json) and renders what comes back, so no figure is made up here.
 *
 * <p>Found through {@link ServiceLoader}: the runner registers a class in
 * META-INF/services/kvmuf.bench.VmDelegate. Without one, --target vm fails with exit 3.
 */
public interface VmDelegate {
  /** What the command printed on stdout inside the VM, and its exit code. */
  record Outcome(int exitCode, String stdout, String stderr) {}

  /** Runs {@code kvmuf <args>} inside the VM (as {@code kvmuf vm run -- <args>} does) and waits for it. */
  Outcome runKvmuf(List<String> args);

  /** A one-line description of the VM (kernel, QEMU), for the report. */
  String describe();

  static Optional<VmDelegate> locate() {
    return ServiceLoader.load(VmDelegate.class).findFirst();
  }
}
