package kvmuf.conform.concurrent;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import kvmuf.model.Action;
import kvmuf.model.Config;

/**
 * What the threads of one concurrent run do, a function of (model config, seed, run index) only:
 * <ul>
 *   <li>each vCPU thread: 1 .. {@code Accesses} reads of the model's gfns (the model's {@code Access} is a
 *       read; its budget is {@code Accesses} per vCPU); where the config has {@code KvmAccesses}, each read is
 *       the guest's or KVM's own ({@code KvmAccess}: string port I/O KVM emulates), as the seed says;</li>
 *   <li>the uffd handler: per gfn, how it resolves that gfn's fault ({@link Resolution});</li>
 *   <li>the VMM thread, where the config has {@code DirtyLog}: nothing, EnableDirtyLog, or EnableDirtyLog then
 *       DisableDirtyLog (the model enables dirty logging at most once); where it uses KVM Userfault, also
 *       its marks and USERFAULT toggles ({@link #userfaultOps}), interleaved with those as the seed says;</li>
 *   <li>the VMM thread also invalidates (MADV_DONTNEED) up to {@code MaxInvalidate} seeded gfns where the config
 *       registers userfaultfd MISSING, each only while its page is present (as the model's InvalidateBegin);</li>
 *   <li>the background fetch thread, where the config has {@code BackgroundFetch}: every gfn once, in an order the
 *       seed picks (each fetched only while still marked and not installed, as the model's FetchInstall);</li>
 *   <li>per thread (vCPUs, then the VMM, then the fetch) a head start in busy-wait iterations, so that the seeds spread the
 *       threads' start over a few microseconds and the interleavings vary.</li>
 * </ul>
 * What the threads then do to each other is up to the kernel and the scheduler: the seed fixes the workload,
 * not the interleaving.
 */
public record Workload(List<List<Integer>> reads, List<List<Boolean>> kvmReads, List<Resolution> resolutions, List<Action> vmm,
    List<Integer> spins, List<Integer> fetches) {
  /** Busy-wait iterations of the longest head start. */
  static final int MAX_SPIN = 50_000;

  public Workload {
    reads = reads.stream().map(List::copyOf).toList();
    kvmReads = kvmReads.stream().map(List::copyOf).toList();
    resolutions = List.copyOf(resolutions);
    vmm = List.copyOf(vmm);
    spins = List.copyOf(spins);
    fetches = List.copyOf(fetches);
  }

  /** A workload without a background fetch. */
  public Workload(List<List<Integer>> reads, List<List<Boolean>> kvmReads, List<Resolution> resolutions, List<Action> vmm,
      List<Integer> spins) {
    this(reads, kvmReads, resolutions, vmm, spins, List.of());
  }

  /** A workload of guest reads only (no KVM reads). */
  public Workload(List<List<Integer>> reads, List<Resolution> resolutions, List<Action> vmm, List<Integer> spins) {
    this(reads, reads.stream().map(r -> r.stream().map(g -> false).toList()).toList(), resolutions, vmm, spins);
  }

  public static Workload of(Config c, long seed, int run) {
    SplittableRandom rnd = stream(seed, run);
    List<List<Integer>> reads = new ArrayList<>();
    List<List<Boolean>> kvm = new ArrayList<>();
    for (int v = 0; v < c.vcpus(); v++) {
      int n = 1 + rnd.nextInt(c.accesses());
      List<Integer> gfns = new ArrayList<>();
      List<Boolean> kinds = new ArrayList<>();
      for (int k = 0; k < n; k++) {
        gfns.add(rnd.nextInt(c.numGfns()));
        // Drawn only where the config has KVM's own reads: every other config's workloads stay what they were.
        kinds.add(c.kvmAccesses() && rnd.nextBoolean());
      }
      reads.add(gfns);
      kvm.add(kinds);
    }
    List<Resolution> res = new ArrayList<>();
    for (int g = 0; g < c.numGfns(); g++) res.add(Resolution.values()[rnd.nextInt(Resolution.values().length)]);
    List<Action> vmm = new ArrayList<>();
    if (c.dirtyLog()) {
      int ops = rnd.nextInt(3);
      if (ops >= 1) vmm.add(new Action.EnableDirtyLog());
      if (ops >= 2) vmm.add(new Action.DisableDirtyLog());
    }
    // Drawn only for KVM Userfault configs: every other config's workloads stay what they were.
    if (c.userfaultUse() != Config.UserfaultUse.NONE) vmm = interleave(vmm, userfaultOps(c, rnd), rnd);
    // Invalidations where the VMM can tell a page is present (userfaultfd MISSING: present once installed); the
    // model bounds them by MaxInvalidate. Drawn only for such configs.
    if (c.maxInvalidate() > 0 && c.uffdMode() == Config.UffdMode.MISSING) {
      List<Action> inval = new ArrayList<>();
      int n = rnd.nextInt(c.maxInvalidate() + 1);
      for (int k = 0; k < n; k++) inval.add(new Action.InvalidateBegin(rnd.nextInt(c.numGfns())));
      vmm = interleave(vmm, inval, rnd);
    }
    List<Integer> spins = new ArrayList<>();
    for (int t = 0; t <= c.vcpus(); t++) spins.add(rnd.nextInt(MAX_SPIN + 1));
    // Drawn only for configs with the background fetch: every other config's workloads stay what they were.
    List<Integer> fetches = new ArrayList<>();
    if (c.backgroundFetch()) {
      for (int g = 0; g < c.numGfns(); g++) fetches.add(g);
      for (int i = fetches.size() - 1; i > 0; i--) java.util.Collections.swap(fetches, i, rnd.nextInt(i + 1));
      spins.add(rnd.nextInt(MAX_SPIN + 1));
    }
    return new Workload(reads, kvm, res, vmm, spins, fetches);
  }

  /**
   * The VMM's KVM Userfault requests, within what the model allows it: UserfaultUse = late marks a non-empty set of
   * gfns (SetBit, in gfn order) and then enables USERFAULT (the model enables only with a bit set); where
   * userfaultfd catches marked gfns (the model's guard on DisableUserfault with bits still set), post-copy may
   * then be ended (or aborted) by DisableUserfault. UserfaultUse = start begins enabled with every bit set.
   */
  static List<Action> userfaultOps(Config c, SplittableRandom rnd) {
    List<Action> ops = new ArrayList<>();
    if (c.userfaultUse() == Config.UserfaultUse.LATE) {
      int marks = 1 + rnd.nextInt((1 << c.numGfns()) - 1); // a non-empty subset of the gfns, as bits
      for (int g = 0; g < c.numGfns(); g++) {
        if ((marks & (1 << g)) != 0) ops.add(new Action.SetBit(g));
      }
      ops.add(new Action.EnableUserfault());
    }
    if (c.uffdMode() != Config.UffdMode.NONE && rnd.nextInt(3) == 0) ops.add(new Action.DisableUserfault());
    return ops;
  }

  /** {@code a} and {@code b} merged in an order the seed picks, each keeping its own order. */
  static List<Action> interleave(List<Action> a, List<Action> b, SplittableRandom rnd) {
    List<Action> out = new ArrayList<>();
    int i = 0;
    int j = 0;
    while (i < a.size() || j < b.size()) {
      boolean fromA = j == b.size() || (i < a.size() && rnd.nextBoolean());
      out.add(fromA ? a.get(i++) : b.get(j++));
    }
    return out;
  }

  /** The random stream of run {@code run}: a function of (seed, run) only. */
  static SplittableRandom stream(long seed, int run) {
    long h = seed * 0x9E3779B97F4A7C15L + run * 0xC2B2AE3D27D4EB4FL + 0x636F6E63L; // "conc": apart from the trace generator's streams
    h ^= h >>> 31;
    return new SplittableRandom(h);
  }

  public int vcpus() {
    return reads.size();
  }

  /** Whether vCPU {@code v}'s {@code k}-th read is KVM's own ({@code KvmAccess}) rather than the guest's. */
  boolean kvmRead(int v, int k) {
    return kvmReads.get(v).get(k);
  }

  /** Head start of vCPU {@code v}'s thread. */
  int vcpuSpin(int v) {
    return spins.get(v);
  }

  int vmmSpin() {
    return spins.get(reads.size());
  }

  /** Head start of the background fetch's thread (0 without one). */
  int fetchSpin() {
    return spins.size() > reads.size() + 1 ? spins.get(reads.size() + 1) : 0;
  }

  /** The guest accesses of all vCPUs together. */
  public int accesses() {
    return reads.stream().mapToInt(List::size).sum();
  }

  /** One line for reports, e.g. {@code vcpu0 reads g0 g1; vcpu1 reads g1; g0 UFFDIO_COPY; g1 ...; vmm EnableDirtyLog}. */
  public String describe() {
    List<String> parts = new ArrayList<>();
    for (int v = 0; v < reads.size(); v++) {
      List<String> rs = new ArrayList<>();
      for (int k = 0; k < reads.get(v).size(); k++) rs.add((kvmRead(v, k) ? "kvm:g" : "g") + reads.get(v).get(k));
      parts.add("vcpu" + v + " reads " + String.join(" ", rs));
    }
    for (int g = 0; g < resolutions.size(); g++) parts.add("g" + g + " " + resolutions.get(g).calls);
    if (!fetches.isEmpty()) parts.add("fetch " + String.join(" ", fetches.stream().map(g -> "g" + g).toList()));
    parts.add("vmm " + (vmm.isEmpty() ? "idle" : vmm.stream().map(a -> a instanceof Action.SetBit b ? "SetBit(g" + b.gfn() + ")"
        : a instanceof Action.InvalidateBegin x ? "InvalidateBegin(g" + x.gfn() + ")" : a.name()).collect(Collectors.joining(" "))));
    return String.join("; ", parts);
  }
}
