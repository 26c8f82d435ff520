package kvmuf.vm;

import java.util.Optional;

/** How a VM run ended. Only {@link Exited} means the command ran; the others are environment failures. */
public sealed interface VmOutcome {
  /** The command ran to the end inside the guest and returned {@code code}. */
  record Exited(int code, Optional<String> kernelRelease) implements VmOutcome {}

  /** The guest kernel panicked; {@code reason} is the text after "Kernel panic - not syncing:". */
  record Panicked(String reason) implements VmOutcome {}

  /** The run passed its time limit and QEMU was killed. */
  record TimedOut(long seconds, String lastConsoleLine) implements VmOutcome {}

  /** QEMU stopped (or never started the guest) without the command's exit trailer. */
  record BootFailed(String reason) implements VmOutcome {}

  /** The one-line message a user sees for a failed run. */
  static String describe(VmOutcome o, String kernelLabel) {
    return switch (o) {
      case Exited e -> "guest command exited with " + e.code();
      case Panicked p -> "guest kernel panicked (" + kernelLabel + "): " + p.reason();
      case TimedOut t -> "VM timed out after " + t.seconds() + " s (" + kernelLabel + ")"
          + (t.lastConsoleLine().isEmpty() ? "" : "; last console line: " + t.lastConsoleLine());
      case BootFailed b -> "VM failed to boot " + kernelLabel + ": " + b.reason();
    };
  }
}
