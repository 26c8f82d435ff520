package kvmuf.conform;

import java.util.List;
import java.util.Set;
import kvmuf.kvm.UapiProfile;
import kvmuf.model.Config;
import kvmuf.model.Config.Arch;
import kvmuf.model.Config.AsyncPf;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;
import kvmuf.model.Config.UserfaultUse;

/**
 * Model configs for the named rules: one memslot of 2 gfns forming one huge frame (HugeSpan 2 stands for
 * the kernel's 512-page 2 MiB frame), budgets large enough for a rule's script, no invariants (the oracle
 * predicts observations; checking invariants is kvmuf check's job).
 */
public final class ModelConfigs {
  private ModelConfigs() {}

  public static Config of(String name, int vcpus, SlotKind kind, UffdMode uffd, UserfaultUse use, boolean dirtyLog, boolean kvmAccesses) {
    return new Config(name, vcpus, 2, 2, kind, hostArch(), uffd, use, AsyncPf.OFF, dirtyLog, kvmAccesses, 7, 2,
        Set.of(), List.of(), false, false);
  }

  public static Arch hostArch() {
    return UapiProfile.isX86(System.getProperty("os.arch")) ? Arch.X86 : Arch.ARM64;
  }

  public static Config withUffd(Config c, UffdMode m) {
    return new Config(c.name() + "+uffd=" + m, c.vcpus(), c.numGfns(), c.hugeSpan(), c.slotKind(), c.arch(), m, c.userfaultUse(),
        c.asyncPf(), c.dirtyLog(), c.kvmAccesses(), c.accesses(), c.maxInvalidate(), c.mutants(), c.invariants(), c.symmetry(),
        c.checkDeadlock());
  }

  public static Config withArch(Config c, Arch a) {
    return new Config(c.name() + "+arch=" + a, c.vcpus(), c.numGfns(), c.hugeSpan(), c.slotKind(), a, c.uffdMode(), c.userfaultUse(),
        c.asyncPf(), c.dirtyLog(), c.kvmAccesses(), c.accesses(), c.maxInvalidate(), c.mutants(), c.invariants(), c.symmetry(),
        c.checkDeadlock());
  }
}
