package kvmuf.vm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code --kernel reference}: our own KVM Userfault kernel, Debian's linux-source-7.3 plus the patch series in
 * {@code kernel-reference/patches} with {@code kernel-reference/config.fragment}: one user of {@link
 * BuiltKernels} (cached by a hash of its inputs under {@code CACHE/built/}, named "reference"). KVM is built
 * in, so the kernel boots without modules.
 */
public final class ReferenceKernel {
  public static final String NAME = "reference";
  /** The base the reference series targets. */
  public static final String BASE = "7.3";

  private ReferenceKernel() {}

  public static Kernel resolve(Path cache, Progress progress) {
    Path dir = sourceDir();
    Kernel k = BuiltKernels.build(inputs(dir), NAME, cache, progress);
    return new Kernel(k.image(), Optional.empty(), "reference kernel " + k.label());
  }

  static BuiltKernels.Inputs inputs(Path dir) {
    return new BuiltKernels.Inputs(dir, BASE, dir.resolve("patches"), Optional.empty(), Optional.empty());
  }

  /** The kernel-reference folder: $KVMUF_KERNEL_REFERENCE, else kernel-reference/ of the checkout the kit's jar was built in. */
  public static Path sourceDir() {
    String env = System.getProperty("kvmuf.kernel.reference", System.getenv("KVMUF_KERNEL_REFERENCE"));
    Path dir = env != null && !env.isBlank() ? Path.of(env)
        : KitJars.checkoutRoot().resolve("kernel-reference");
    if (!Files.isRegularFile(dir.resolve("build.sh"))) {
      throw VmException.environment("no kernel-reference/build.sh in " + dir
          + " (run the kit from its checkout, or point $KVMUF_KERNEL_REFERENCE at the kernel-reference folder)");
    }
    return dir;
  }
}
