package kvmuf.model;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
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
    boolean checkDeadlock) {

  public enum SlotKind { ANON, SHMEM, GMEM }
  public enum Arch { X86, ARM64 }
  public enum UffdMode { NONE, MISSING, MINOR }
  public enum UserfaultUse { NONE, START, LATE }
  public enum AsyncPf { OFF, KERNEL }

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
        kvmAccesses, accesses, maxInvalidate, ids, invariants, symmetry, checkDeadlock);
  }

  public static Config load(String name) {
    return from(SpecBundle.config(name));
  }

  /** A shipped config, with one catalogued mutant switched on where {@code mutant} names one. */
  public static Config load(String name, java.util.Optional<String> mutant) {
    Config c = load(name);
    return mutant.map(id -> c.withMutants(EnumSet.of(MutantId.valueOf(id)))).orElse(c);
  }

  public static Config from(CfgFile cfg) {
    List<Invariant> invariants = new ArrayList<>();
    for (String inv : cfg.invariants()) {
      invariants.add(Invariant.valueOf(inv));
    }
    Set<MutantId> mutants = EnumSet.noneOf(MutantId.class);
    for (String id : setElements(cfg.constant("Mutants"))) {
      mutants.add(MutantId.valueOf(unquote(id)));
    }
    return new Config(
        cfg.name(),
        setElements(cfg.constant("Vcpus")).size(),
        Integer.parseInt(cfg.constant("NumGfns")),
        Integer.parseInt(cfg.constant("HugeSpan")),
        SlotKind.valueOf(unquote(cfg.constant("SlotKind")).toUpperCase()),
        Arch.valueOf(unquote(cfg.constant("Arch")).toUpperCase()),
        UffdMode.valueOf(unquote(cfg.constant("UffdMode")).toUpperCase()),
        UserfaultUse.valueOf(unquote(cfg.constant("UserfaultUse")).toUpperCase()),
        AsyncPf.valueOf(unquote(cfg.constant("AsyncPf")).toUpperCase()),
        Boolean.parseBoolean(cfg.constant("DirtyLog").toLowerCase()),
        Boolean.parseBoolean(cfg.constant("KvmAccesses").toLowerCase()),
        Integer.parseInt(cfg.constant("Accesses")),
        Integer.parseInt(cfg.constant("MaxInvalidate")),
        mutants,
        invariants,
        cfg.symmetry(),
        cfg.checkDeadlock());
  }

  private static List<String> setElements(String set) {
    String inner = set.strip();
    if (!inner.startsWith("{") || !inner.endsWith("}")) {
      throw new IllegalArgumentException("expected a set, got " + set);
    }
    inner = inner.substring(1, inner.length() - 1).strip();
    return inner.isEmpty() ? List.of() : List.of(inner.split("\\s*,\\s*"));
  }

  private static final Pattern QUOTED = Pattern.compile("^\"(.*)\"$");

  private static String unquote(String s) {
    var m = QUOTED.matcher(s.strip());
    return m.matches() ? m.group(1) : s.strip();
  }
}
