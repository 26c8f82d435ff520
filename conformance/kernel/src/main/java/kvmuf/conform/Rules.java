package kvmuf.conform;

import java.util.ArrayList;
import java.util.List;
import kvmuf.conform.rules.DirtyLogHugeMappings;
import kvmuf.conform.rules.DontneedRefaults;
import kvmuf.conform.rules.MemslotGmemFlagsEinval;
import kvmuf.conform.rules.MemslotOverlap;
import kvmuf.conform.rules.MemslotUnknownFlagEinval;
import kvmuf.conform.rules.MemslotUndefinedFlagsEinval;
import kvmuf.conform.rules.MemslotReadonlyToggleEinval;
import kvmuf.conform.rules.MmioOutsideMemslots;
import kvmuf.conform.rules.UffdDontwake;
import kvmuf.conform.rules.UffdEexistWake;
import kvmuf.conform.rules.UffdMinorContinue;
import kvmuf.conform.rules.UffdMissingCopy;
import kvmuf.conform.rules.UserfaultBadBitmapEinval;
import kvmuf.conform.rules.UserfaultBitAfterMap;
import kvmuf.conform.rules.UserfaultDirtyLogHugeMappings;
import kvmuf.conform.rules.UserfaultDirtyLogNoWarn;
import kvmuf.conform.rules.UserfaultExit;
import kvmuf.conform.rules.UserfaultFlagEinval;
import kvmuf.conform.rules.UserfaultHugeMappings;
import kvmuf.conform.rules.UserfaultNullBitmap;
import kvmuf.conform.rules.UserfaultResolve;
import kvmuf.conform.rules.UserfaultShortBitmapEfault;
import kvmuf.conform.rules.UserfaultUnalignedBitmap;
import kvmuf.conform.rules.UserfaultUnreadableBitmapEfault;
import kvmuf.spec.UnknownNameException;

/** The catalogue of named rules, in the order {@code kvmuf conform} runs them. */
public final class Rules {
  private Rules() {}

  public static List<Rule> all() {
    return List.of(
        MmioOutsideMemslots.RULE,
        UffdMissingCopy.RULE,
        UffdEexistWake.RULE,
        UffdDontwake.RULE,
        UffdMinorContinue.RULE,
        DirtyLogHugeMappings.RULE,
        UserfaultFlagEinval.RULE,
        DontneedRefaults.RULE,
        MemslotOverlap.RULE,
        UserfaultExit.RULE,
        UserfaultResolve.RULE,
        UserfaultBitAfterMap.RULE,
        MemslotUnknownFlagEinval.RULE,
        UserfaultHugeMappings.RULE,
        UserfaultBadBitmapEinval.RULE,
        UserfaultDirtyLogNoWarn.RULE,
        UserfaultDirtyLogHugeMappings.RULE,
        MemslotUndefinedFlagsEinval.RULE,
        MemslotReadonlyToggleEinval.RULE,
        MemslotGmemFlagsEinval.RULE,
        UserfaultNullBitmap.RULE,
        UserfaultUnreadableBitmapEfault.RULE,
        UserfaultShortBitmapEfault.RULE,
        UserfaultUnalignedBitmap.RULE);
  }

  public static List<String> names() {
    return all().stream().map(Rule::name).toList();
  }

  public static Rule byName(String name) {
    return all().stream().filter(r -> r.name().equals(name)).findFirst()
        .orElseThrow(() -> new UnknownNameException("rule", name, names()));
  }

  /** "all" or a comma-separated list of names, in catalogue order; an unknown name throws. */
  public static List<Rule> select(String spec) {
    if (spec.equals("all")) return all();
    List<String> wanted = new ArrayList<>();
    for (String n : spec.split(",")) {
      String name = byName(n.strip()).name();
      if (!wanted.contains(name)) wanted.add(name);
    }
    return all().stream().filter(r -> wanted.contains(r.name())).toList();
  }
}
