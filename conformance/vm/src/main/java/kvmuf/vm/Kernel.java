package kvmuf.vm;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A kernel ready to boot: its image, its modules tree (absent for a kernel with KVM built in), a label
 * for messages (the package name or the path), and extra kernel command-line words (e.g. the reference
 * kernel's {@code kvm.userfault_mutant=ID}).
 */
public record Kernel(Path image, Optional<Path> modules, String label, List<String> bootArgs) {
  public Kernel {
    bootArgs = List.copyOf(bootArgs);
  }

  public Kernel(Path image, Optional<Path> modules, String label) {
    this(image, modules, label, List.of());
  }

  public Kernel withBootArg(String arg, String labelSuffix) {
    List<String> args = new java.util.ArrayList<>(bootArgs);
    args.add(arg);
    return new Kernel(image, modules, label + labelSuffix, args);
  }
}
