package kvmuf.model;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.Arrays;
import kvmuf.spec.CfgException;
import kvmuf.spec.CfgFile;
import kvmuf.spec.SpecBundle;

/**
 * The spec's constants for one model config, read from the same configs/NAME.cfg TLC reads.
 *
 * @param invariants the invariants to check, in the config's order (the first one violated in a
 *     state is the one reported, as TLC does)
 */
public record Config(
    String name,
    int vcpus,
    int numGfns,
    int hugeSpan,
    SlotKind slotKind,
    Arch arch,
    UffdMode uffdMode,
    UserfaultUse userfaultUse,
    AsyncPf asyncPf,
    boolean dirtyLog,
    boolean kvmAccesses,
    int accesses,
    int maxInvalidate,
    Set<MutantId> mutants,
    List<Invariant> invariants,
    boolean symmetry,
    boolean checkDeadlock,
    SlotZap slotZap,
    boolean backgroundFetch,
    SlotChanges slotChanges,
    RemoteAccessor remoteAccessor,
    boolean writes) {

  /**
   * What backs the memslot: anonymous memory, shmem, a guest_memfd (shared, mappable), or a guest_memfd whose gfns
   * are private (KVM_MEMORY_ATTRIBUTE_PRIVATE in a KVM_X86_SW_PROTECTED_VM). {@link #tla} is the spec's value.
   */
  public enum SlotKind {
    ANON("anon"), SHMEM("shmem"), GMEM("gmem"), GMEM_PRIVATE("gmem-private");

    public final String tla;

    SlotKind(String tla) {
      this.tla = tla;
    }

    /** Backed by a guest_memfd (KVM_MEM_GUEST_MEMFD): no userfaultfd, no dirty logging, no MOVE. */
    public boolean guestMemfd() {
      return this == GMEM || this == GMEM_PRIVATE;
    }

    public static SlotKind ofTla(String tla) {
      for (SlotKind k : values()) {
        if (k.tla.equals(tla)) {
          return k;
        }
      }
      throw new IllegalArgumentException("unknown SlotKind " + tla);
    }
  }
  public enum Arch { X86, ARM64 }
  public enum UffdMode { NONE, MISSING, MINOR }
  public enum UserfaultUse { NONE, START, LATE }
  public enum AsyncPf { OFF, KERNEL }
  /** What the zap on enable does to a fault in flight: MEMSLOT (it may still map), ALL (x86 SLOT_ZAP_ALL: it retries). */
  public enum SlotZap { MEMSLOT, ALL }
  /** The VMM's one memslot change during the run: none, a DELETE, or a MOVE. */
  public enum SlotChanges { NONE, DELETE, MOVE }
  /** Another process reading guest memory: none, through a userfaultfd-registered mapping, or unregistered. */
  public enum RemoteAccessor { NONE, UFFD, UNREGISTERED }

  /** A config with every feature added after the first release off (the constructor callers used before). */
  public Config(String name, int vcpus, int numGfns, int hugeSpan, SlotKind slotKind, Arch arch, UffdMode uffdMode,
      UserfaultUse userfaultUse, AsyncPf asyncPf, boolean dirtyLog, boolean kvmAccesses, int accesses,
      int maxInvalidate, Set<MutantId> mutants, List<Invariant> invariants, boolean symmetry, boolean checkDeadlock) {
    this(name, vcpus, numGfns, hugeSpan, slotKind, arch, uffdMode, userfaultUse, asyncPf, dirtyLog, kvmAccesses,
        accesses, maxInvalidate, mutants, invariants, symmetry, checkDeadlock, SlotZap.MEMSLOT, false);
  }

  /** A config without a memslot change or a remote accessor (the constructor callers used before them). */
  public Config(String name, int vcpus, int numGfns, int hugeSpan, SlotKind slotKind, Arch arch, UffdMode uffdMode,
      UserfaultUse userfaultUse, AsyncPf asyncPf, boolean dirtyLog, boolean kvmAccesses, int accesses,
      int maxInvalidate, Set<MutantId> mutants, List<Invariant> invariants, boolean symmetry, boolean checkDeadlock,
      SlotZap slotZap, boolean backgroundFetch) {
    this(name, vcpus, numGfns, hugeSpan, slotKind, arch, uffdMode, userfaultUse, asyncPf, dirtyLog, kvmAccesses,
        accesses, maxInvalidate, mutants, invariants, symmetry, checkDeadlock, slotZap, backgroundFetch,
        SlotChanges.NONE, RemoteAccessor.NONE, false);
  }

  /** A config with guest writes on or off, without a memslot change or a remote accessor. */
  public Config(String name, int vcpus, int numGfns, int hugeSpan, SlotKind slotKind, Arch arch, UffdMode uffdMode,
      UserfaultUse userfaultUse, AsyncPf asyncPf, boolean dirtyLog, boolean kvmAccesses, int accesses,
      int maxInvalidate, Set<MutantId> mutants, List<Invariant> invariants, boolean symmetry, boolean checkDeadlock,
      SlotZap slotZap, boolean backgroundFetch, boolean writes) {
    this(name, vcpus, numGfns, hugeSpan, slotKind, arch, uffdMode, userfaultUse, asyncPf, dirtyLog, kvmAccesses,
        accesses, maxInvalidate, mutants, invariants, symmetry, checkDeadlock, slotZap, backgroundFetch,
        SlotChanges.NONE, RemoteAccessor.NONE, writes);
  }

  /** A config with a memslot change or a remote accessor, without guest writes. */
  public Config(String name, int vcpus, int numGfns, int hugeSpan, SlotKind slotKind, Arch arch, UffdMode uffdMode,
      UserfaultUse userfaultUse, AsyncPf asyncPf, boolean dirtyLog, boolean kvmAccesses, int accesses,
      int maxInvalidate, Set<MutantId> mutants, List<Invariant> invariants, boolean symmetry, boolean checkDeadlock,
      SlotZap slotZap, boolean backgroundFetch, SlotChanges slotChanges, RemoteAccessor remoteAccessor) {
    this(name, vcpus, numGfns, hugeSpan, slotKind, arch, uffdMode, userfaultUse, asyncPf, dirtyLog, kvmAccesses,
        accesses, maxInvalidate, mutants, invariants, symmetry, checkDeadlock, slotZap, backgroundFetch,
        slotChanges, remoteAccessor, false);
  }

  public Config {
    if (vcpus < 1 || vcpus > StateBits.MAX_VCPUS) {
      throw new IllegalArgumentException("config " + name + ": 1.." + StateBits.MAX_VCPUS + " vCPUs supported, not " + vcpus);
    }
    if (numGfns < 1 || numGfns > StateBits.MAX_GFNS || numGfns % hugeSpan != 0) {
      throw new IllegalArgumentException("config " + name + ": NumGfns must be 1.." + StateBits.MAX_GFNS + " and a multiple of HugeSpan");
    }
    if (maxInvalidate > StateBits.MAX_SEQ || accesses > StateBits.MAX_BUDGET) {
      throw new IllegalArgumentException("config " + name + ": MaxInvalidate <= " + StateBits.MAX_SEQ + " and Accesses <= " + StateBits.MAX_BUDGET);
    }
    mutants = mutants.isEmpty() ? EnumSet.noneOf(MutantId.class) : EnumSet.copyOf(mutants);
    invariants = List.copyOf(invariants);
  }

  public boolean mutant(MutantId id) {
    return mutants.contains(id);
  }

  public Config withMutants(Set<MutantId> ids) {
    return new Config(name, vcpus, numGfns, hugeSpan, slotKind, arch, uffdMode, userfaultUse, asyncPf, dirtyLog,
        kvmAccesses, accesses, maxInvalidate, ids, invariants, symmetry, checkDeadlock, slotZap, backgroundFetch,
        slotChanges, remoteAccessor, writes);
  }

  /** A shipped config by name, or a user's own config by path (see {@link SpecBundle#config}). */
  public static Config load(String nameOrPath) {
    return from(SpecBundle.config(nameOrPath));
  }

  /** A config, with one catalogued mutant switched on where {@code mutant} names one. */
  public static Config load(String nameOrPath, java.util.Optional<String> mutant) {
    Config c = load(nameOrPath);
    return mutant.map(id -> c.withMutants(EnumSet.of(MutantId.valueOf(id)))).orElse(c);
  }

  /**
   * The constants of a parsed config. Every value is checked against the spec's types, its
   * ASSUME and the model's encoding bounds; a problem is a {@link CfgException} naming the line.
   */
  public static Config from(CfgFile cfg) {
    List<Invariant> invariants = new ArrayList<>();
    for (String inv : cfg.invariants()) {
      Invariant i = Arrays.stream(Invariant.values()).filter(x -> x.name().equals(inv)).findFirst()
          .orElseThrow(() -> new CfgException(cfg.source(), 0, inv + " is not an invariant the Java model checks; valid: "
              + String.join(", ", Arrays.stream(Invariant.values()).map(Enum::name).toList())));
      invariants.add(i);
    }
    Set<MutantId> mutants = EnumSet.noneOf(MutantId.class);
    for (String id : cfg.set("Mutants")) {
      String bare = unquote(id);
      MutantId m = Arrays.stream(MutantId.values()).filter(x -> x.name().equals(bare)).findFirst()
          .orElseThrow(() -> cfg.error("Mutants", "unknown mutant " + id + "; valid: "
              + String.join(", ", Arrays.stream(MutantId.values()).map(Enum::name).toList())));
      mutants.add(m);
    }
    List<String> vcpuIds = cfg.set("Vcpus");
    int vcpus = vcpuIds.size();
    if (vcpus < 1 || vcpus > StateBits.MAX_VCPUS) {
      throw cfg.error("Vcpus", "1.." + StateBits.MAX_VCPUS + " vCPUs supported, not " + vcpus);
    }
    int numGfns = cfg.natural("NumGfns");
    int hugeSpan = cfg.natural("HugeSpan");
    if (numGfns < 1 || numGfns > StateBits.MAX_GFNS) {
      throw cfg.error("NumGfns", "NumGfns must be 1.." + StateBits.MAX_GFNS + ", not " + numGfns);
    }
    if (hugeSpan < 1 || numGfns % hugeSpan != 0) {
      throw cfg.error("HugeSpan", "HugeSpan must be at least 1 and divide NumGfns = " + numGfns);
    }
    SlotKind slotKind = SlotKind.ofTla(cfg.oneOf("SlotKind", List.of("anon", "shmem", "gmem", "gmem-private")));
    Arch arch = Arch.valueOf(cfg.oneOf("Arch", List.of("x86", "arm64")).toUpperCase());
    UffdMode uffdMode = UffdMode.valueOf(cfg.oneOf("UffdMode", List.of("none", "missing", "minor")).toUpperCase());
    UserfaultUse use = UserfaultUse.valueOf(cfg.oneOf("UserfaultUse", List.of("none", "start", "late")).toUpperCase());
    AsyncPf asyncPf = AsyncPf.valueOf(cfg.oneOf("AsyncPf", List.of("off", "kernel")).toUpperCase());
    boolean dirtyLog = cfg.bool("DirtyLog");
    boolean kvmAccesses = cfg.bool("KvmAccesses");
    int accesses = cfg.natural("Accesses");
    int maxInvalidate = cfg.natural("MaxInvalidate");
    SlotZap slotZap = SlotZap.valueOf(cfg.oneOf("SlotZap", List.of("memslot", "all")).toUpperCase());
    boolean backgroundFetch = cfg.bool("BackgroundFetch");
    boolean writes = cfg.bool("Writes");
    if (backgroundFetch && numGfns > StateBits.MAX_GFNS_WITH_FETCH) {
      throw cfg.error("NumGfns", "with BackgroundFetch the Java model holds at most " + StateBits.MAX_GFNS_WITH_FETCH + " gfns, not " + numGfns);
    }
    if (accesses > StateBits.MAX_BUDGET) {
      throw cfg.error("Accesses", "Accesses <= " + StateBits.MAX_BUDGET + " supported, not " + accesses);
    }
    if (maxInvalidate > StateBits.MAX_SEQ) {
      throw cfg.error("MaxInvalidate", "MaxInvalidate <= " + StateBits.MAX_SEQ + " supported, not " + maxInvalidate);
    }
    // The spec's ASSUME (TLC stops on it; the Java model would explore nonsense).
    if (slotKind.guestMemfd() && uffdMode != UffdMode.NONE) {
      throw cfg.error("UffdMode", "ASSUME: SlotKind = \"" + slotKind.tla + "\" needs UffdMode = \"none\" (no userfaultfd on guest_memfd)");
    }
    if (uffdMode == UffdMode.MINOR && slotKind != SlotKind.SHMEM) {
      throw cfg.error("UffdMode", "ASSUME: UffdMode = \"minor\" needs SlotKind = \"shmem\"");
    }
    if (slotKind.guestMemfd() && dirtyLog) {
      throw cfg.error("DirtyLog", "ASSUME: SlotKind = \"" + slotKind.tla + "\" needs DirtyLog = FALSE");
    }
    if (slotKind == SlotKind.GMEM_PRIVATE && (arch != Arch.X86 || kvmAccesses)) {
      throw cfg.error("SlotKind", "ASSUME: SlotKind = \"gmem-private\" needs Arch = \"x86\" and KvmAccesses = FALSE"
          + " (KVM's own accesses use the VMM's mapping, the slot's shared half)");
    }
    if (writes && asyncPf != AsyncPf.OFF) {
      throw cfg.error("Writes", "ASSUME: Writes = TRUE needs AsyncPf = \"off\" (writes are modelled without async page faults)");
    }
    if (slotZap == SlotZap.ALL && arch != Arch.X86) {
      throw cfg.error("SlotZap", "ASSUME: SlotZap = \"all\" needs Arch = \"x86\" (KVM_X86_QUIRK_SLOT_ZAP_ALL)");
    }
    SlotChanges slotChanges = SlotChanges.valueOf(cfg.oneOf("SlotChanges", List.of("none", "delete", "move")).toUpperCase());
    RemoteAccessor remote = RemoteAccessor.valueOf(
        cfg.oneOf("RemoteAccessor", List.of("none", "uffd", "unregistered")).toUpperCase());
    if (slotChanges == SlotChanges.MOVE && slotKind.guestMemfd()) {
      throw cfg.error("SlotChanges", "ASSUME: SlotChanges = \"move\" needs SlotKind # \"" + slotKind.tla + "\" (guest_memfd slots cannot MOVE, R15)");
    }
    if (remote == RemoteAccessor.UFFD && uffdMode == UffdMode.NONE) {
      throw cfg.error("RemoteAccessor", "ASSUME: RemoteAccessor = \"uffd\" needs UffdMode # \"none\"");
    }
    if (remote != RemoteAccessor.NONE && slotKind == SlotKind.GMEM_PRIVATE) {
      throw cfg.error("RemoteAccessor", "ASSUME: SlotKind = \"gmem-private\" needs RemoteAccessor = \"none\" (no process maps private memory)");
    }
    if (remote == RemoteAccessor.UNREGISTERED && slotKind == SlotKind.ANON) {
      throw cfg.error("RemoteAccessor", "ASSUME: RemoteAccessor = \"unregistered\" needs shared memory (SlotKind \"shmem\" or \"gmem\")");
    }
    return new Config(cfg.name(), vcpus, numGfns, hugeSpan, slotKind, arch, uffdMode, use, asyncPf, dirtyLog,
        kvmAccesses, accesses, maxInvalidate, mutants, invariants, cfg.symmetry(), cfg.checkDeadlock(), slotZap,
        backgroundFetch, slotChanges, remote, writes);
  }

  private static final Pattern QUOTED = Pattern.compile("^\"(.*)\"$");

  private static String unquote(String s) {
    var m = QUOTED.matcher(s.strip());
    return m.matches() ? m.group(1) : s.strip();
  }
}
