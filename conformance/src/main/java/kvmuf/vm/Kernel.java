package kvmuf.vm;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A kernel ready to boot: its image, its modules tree (absent for a kernel with KVM built in), and a
 * label for messages (the package name or the path).
 */
public record Kernel(Path image, Optional<Path> modules, String label) {}
