package kvmuf.bench;

import java.util.List;

/**
 * One demand-paging benchmark run: every mode at every vCPU count, each vCPU (or thread) touching every page
 * of its own {@code memPerVcpu} chunk once, as demand_paging_test does with partitioned accesses.
 *
 * @param readers reader threads on the single userfaultfd (uffd-single, kvm-uf+uffd); uffd-per-vcpu has one per uffd
 * @param warmupBytes before the cells, one unmeasured single-vCPU run per mode over this much memory, so the JIT
 *     has compiled the reader and touch loops (the C selftest needs no such thing); 0: none
 * @param repeat measured runs per cell; the cell reports the run with the median per-vCPU rate (and all rates in
 *     JSON), because a single run on a busy machine can be off by tens of percent
 */
public record BenchConfig(
    Target target, List<Integer> vcpus, long memPerVcpu, List<Mode> modes, int readers, Backing backing, long warmupBytes, int repeat) {

  /** The default warm-up: see {@link DemandPagingBench#WARMUP_BYTES}. */
  public static final long DEFAULT_WARMUP = DemandPagingBench.WARMUP_BYTES;

  /** The agent runs without guest paging: every gpa it touches must lie below 4 GiB. */
  public static final long GUEST_BASE_GPA = 0x10_0000;
  public static final long GUEST_LIMIT = 1L << 32;

  public BenchConfig {
    vcpus = List.copyOf(vcpus);
    modes = List.copyOf(modes);
    if (vcpus.isEmpty()) throw new IllegalArgumentException("--vcpus needs at least one count");
    if (modes.isEmpty()) throw new IllegalArgumentException("--mode needs at least one mode");
    if (memPerVcpu <= 0 || memPerVcpu % Sizes.PAGE != 0) throw new IllegalArgumentException("--mem-per-vcpu must be a positive multiple of 4 KiB");
    if (readers < 1) throw new IllegalArgumentException("--readers must be at least 1");
    if (repeat < 1) throw new IllegalArgumentException("--repeat must be at least 1");
    if (warmupBytes < 0 || warmupBytes % Sizes.PAGE != 0) throw new IllegalArgumentException("--warmup-size must be a multiple of 4 KiB");
    if (target != Target.THREADS) {
      int max = vcpus.stream().mapToInt(Integer::intValue).max().orElse(1);
      if (GUEST_BASE_GPA + (long) max * memPerVcpu > GUEST_LIMIT) {
        throw new IllegalArgumentException(
            max + " vCPUs x " + Sizes.format(memPerVcpu) + " does not fit below 4 GiB of guest-physical memory"
                + " (the guest agent runs without paging); use less memory per vCPU or fewer vCPUs");
      }
    }
  }

  /** One measured run per cell; the default warm-up or none. */
  public BenchConfig(Target target, List<Integer> vcpus, long memPerVcpu, List<Mode> modes, int readers, Backing backing, boolean warmup) {
    this(target, vcpus, memPerVcpu, modes, readers, backing, warmup, 1);
  }

  /** The default warm-up or none. */
  public BenchConfig(
      Target target, List<Integer> vcpus, long memPerVcpu, List<Mode> modes, int readers, Backing backing, boolean warmup, int repeat) {
    this(target, vcpus, memPerVcpu, modes, readers, backing, warmup ? DEFAULT_WARMUP : 0, repeat);
  }

  public boolean warmup() {
    return warmupBytes > 0;
  }

  public long pagesPerVcpu() {
    return memPerVcpu / Sizes.PAGE;
  }
}
