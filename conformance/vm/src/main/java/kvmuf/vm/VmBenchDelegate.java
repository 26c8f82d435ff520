package kvmuf.vm;

import java.time.Duration;
import java.util.List;
import kvmuf.bench.VmDelegate;

/**
 * The VM runner behind {@code bench demand-paging --target vm}: boots the default kernel (as {@code kvmuf vm run}
 * does without --kernel, or the one named by $KVMUF_VM_KERNEL) under QEMU, runs the kit's command there and
 * collects what it printed. Registered in META-INF/services/kvmuf.bench.VmDelegate.
 */
public final class VmBenchDelegate implements VmDelegate {
  /** Demand paging under TCG costs far more per fault than on hardware: give the guest room. */
  static final Duration TIMEOUT = Duration.ofMinutes(20);

  private VmSession session;

  public VmBenchDelegate() {}

  private synchronized VmSession session() {
    // Resolving the kernel may download it: only when a VM run is really asked for, not at ServiceLoader time.
    if (session == null) session = new VmSession(System.getenv("KVMUF_VM_KERNEL"), null, TIMEOUT, Progress.stderr(false));
    return session;
  }

  @Override
  public Outcome runKvmuf(List<String> args) {
    StringBuilder out = new StringBuilder(), err = new StringBuilder();
    VmRunner.Report r = session().run(VmSession.kitCommand(args), List.of(), o -> (o.stderr() ? err : out).append(o.text()).append('\n'));
    return new Outcome(r.exitCode(), out.toString(), err.toString());
  }

  @Override
  public String describe() {
    return "QEMU TCG with nested KVM, kernel " + session().kernel().label();
  }
}
