package kvmuf.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Turns the user's {@code --kernel}/{@code --modules} into a bootable {@link Kernel}.
 *
 * <ul>
 *   <li>{@code reference}: our KVM Userfault kernel, built from {@code kernel-reference/} ({@link ReferenceKernel});
 *   <li>{@code built:NAME}: a kernel built by {@code kvmuf kernel build --name NAME} ({@link BuiltKernels});
 *   <li>{@code 7.3}: Debian's newest 7.3 cloud kernel from trixie-backports, fetched through a private apt
 *       sources list ({@code kernel-reference/debian-apt.sh}; the machine's apt configuration is untouched);
 *   <li>nothing, or a series ({@code 6.12}, {@code 6.1}): the newest Debian
 *       {@code linux-image-SERIES.*-cloud-amd64-unsigned} apt knows;
 *   <li>a package name ({@code linux-image-6.1.0-47-cloud-amd64-unsigned}): that package;
 *   <li>a path to a kernel image (bzImage, vmlinuz), with {@code --modules DIR} when KVM is
 *       built as modules.
 * </ul>
 *
 * Packages are fetched with {@code apt-get download} (no root needed, nothing installed) and
 * unpacked with {@code dpkg -x} into {@code CACHE/kernels/PACKAGE}; a second run reuses them.
 */
public final class KernelSource {
  static final String DEFAULT_SERIES = "6.12";
  /** Series that are not in the machine's apt sources, and the Debian suite that has them. */
  static final java.util.Map<String, String> BACKPORTS = java.util.Map.of("7.3", "trixie-backports");
  private static final Pattern SERIES = Pattern.compile("[0-9]+\\.[0-9]+");

  private KernelSource() {}

  public static Kernel resolve(String kernel, String modules, Path cache, Progress progress) {
    if (ReferenceKernel.NAME.equals(kernel)) {
      if (modules != null) throw VmException.usage("--modules goes with --kernel PATH (the reference kernel has KVM built in)");
      return ReferenceKernel.resolve(cache, progress);
    }
    if (kernel != null && kernel.startsWith(BuiltKernels.PREFIX)) {
      if (modules != null) throw VmException.usage("--modules goes with --kernel PATH (a built kernel has KVM built in)");
      return BuiltKernels.resolve(kernel, cache);
    }
    if (kernel != null && (kernel.contains("/") || Files.exists(Path.of(kernel)))) {
      return userKernel(Path.of(kernel), modules);
    }
    if (modules != null) {
      throw VmException.usage("--modules goes with --kernel PATH (a package brings its own modules)");
    }
    String spec = kernel == null ? DEFAULT_SERIES : kernel;
    if (BACKPORTS.containsKey(spec)) return fromBackports(spec, BACKPORTS.get(spec), cache, progress);
    String pkg = SERIES.matcher(spec).matches() ? newestCloudPackage(spec, cache, progress) : spec;
    if (!pkg.startsWith("linux-image-")) {
      throw VmException.usage("--kernel " + spec + ": expected reference, built:NAME, a path, a series like 7.3, 6.12 or 6.1, "
          + "or a package name like linux-image-6.12.117+deb12-cloud-amd64-unsigned");
    }
    return fromPackage(pkg, cache, progress);
  }

  static Kernel userKernel(Path image, String modules) {
    if (!Files.isRegularFile(image) || !Files.isReadable(image)) {
      throw VmException.environment("kernel image not found or unreadable: " + image);
    }
    Optional<Path> tree = Optional.empty();
    if (modules != null) {
      Path m = Path.of(modules);
      if (!Files.isDirectory(m)) {
        throw VmException.environment("modules directory not found: " + m);
      }
      tree = Optional.of(m);
    }
    return new Kernel(image, tree, image.toString());
  }

  /** The newest cloud kernel package of a series, by apt-cache; the newest cached one when offline. */
  static String newestCloudPackage(String series, Path cache, Progress progress) {
    Pattern p = cloudPattern(series);
    List<String> names = new ArrayList<>();
    try {
      names.addAll(Tools.run(List.of("apt-cache", "pkgnames", "linux-image-" + series + "."), null));
    } catch (VmException e) {
      progress.say("apt-cache unavailable (" + e.getMessage() + "); looking in the cache");
    }
    Optional<String> newest = newest(names, p);
    if (newest.isEmpty()) {
      try (Stream<Path> cached = Files.list(cache.resolve("kernels"))) {
        newest = newest(cached.map(c -> c.getFileName().toString()).toList(), p);
      } catch (IOException e) {
        // no cache yet: fall through to the error
      }
    }
    return newest.orElseThrow(() -> VmException.environment("no Debian package "
        + "linux-image-" + series + ".*-cloud-amd64-unsigned known to apt; run 'apt-get update' "
        + "(Debian bookworm-backports or security carries 6.12) or pass --kernel PATH"));
  }

  static Pattern cloudPattern(String series) {
    return Pattern.compile("linux-image-" + Pattern.quote(series) + "\\.[0-9][0-9.+~a-z-]*-cloud-amd64-unsigned");
  }

  /** Newest by the numbers in the name (6.12.117 after 6.12.99; 6.1.0-56 after 6.1.0-47). */
  static Optional<String> newest(List<String> names, Pattern p) {
    return names.stream().map(String::strip).filter(n -> p.matcher(n).matches())
        .max(Comparator.comparing(KernelSource::numbers, KernelSource::compareNumbers));
  }

  private static List<Long> numbers(String s) {
    List<Long> out = new ArrayList<>();
    Matcher m = Pattern.compile("[0-9]+").matcher(s);
    while (m.find()) {
      out.add(Long.parseLong(m.group()));
    }
    return out;
  }

  private static int compareNumbers(List<Long> a, List<Long> b) {
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      int c = Long.compare(a.get(i), b.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.size(), b.size());
  }

  static Kernel fromPackage(String pkg, Path cache, Progress progress) {
    Path dir = cache.resolve("kernels").resolve(pkg);
    Path done = dir.resolve(".complete");
    try {
      if (!Files.exists(done)) {
        Path tmp = Files.createDirectories(cache.resolve("kernels")).resolve(pkg + ".part");
        Tools.deleteTree(tmp);
        Files.createDirectories(tmp);
        progress.say("downloading " + pkg + " (apt-get download)");
        Tools.run(List.of("apt-get", "download", "-q", "-o", "APT::Sandbox::User=root", pkg), tmp);
        Path deb;
        try (Stream<Path> s = Files.list(tmp)) {
          deb = s.filter(f -> f.toString().endsWith(".deb")).findFirst().orElseThrow(
              () -> VmException.environment("apt-get download " + pkg + " produced no .deb"));
        }
        progress.say("unpacking " + deb.getFileName());
        Tools.run(List.of("dpkg", "-x", deb.toString(), tmp.resolve("root").toString()), null);
        Files.delete(deb);
        Files.writeString(tmp.resolve(".complete"), pkg + "\n");
        Tools.deleteTree(dir);
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
      }
      Path root = dir.resolve("root");
      Path image;
      try (Stream<Path> s = Files.list(root.resolve("boot"))) {
        image = s.filter(f -> f.getFileName().toString().startsWith("vmlinuz-")).findFirst()
            .orElseThrow(() -> VmException.environment(pkg + " holds no boot/vmlinuz-*"));
      }
      String release = image.getFileName().toString().substring("vmlinuz-".length());
      Path modules = Files.isDirectory(root.resolve("lib/modules").resolve(release))
          ? root.resolve("lib/modules").resolve(release)
          : root.resolve("usr/lib/modules").resolve(release);
      return new Kernel(image, Files.isDirectory(modules) ? Optional.of(modules) : Optional.empty(), pkg);
    } catch (IOException e) {
      throw VmException.environment("cannot prepare kernel package " + pkg + ": " + e.getMessage());
    }
  }

  /**
   * A cloud kernel of {@code series} from {@code suite}: trixie's kernels are split into linux-binary-RELEASE
   * (the image, usr/lib/modules/RELEASE/vmlinuz) and linux-modules-RELEASE (kvm, kvm-amd, irqbypass); both are
   * unpacked into CACHE/kernels/linux-binary-RELEASE.
   */
  static Kernel fromBackports(String series, String suite, Path cache, Progress progress) {
    String apt = ReferenceKernel.sourceDir().resolve("debian-apt.sh").toString();
    Pattern p = Pattern.compile("linux-binary-" + Pattern.quote(series) + "\\.[0-9][0-9.+~a-z]*-cloud-amd64");
    List<String> names = new ArrayList<>();
    try {
      names.addAll(Tools.run(List.of("bash", apt, suite, "search", "^linux-binary-" + series.replace(".", "\\.") + "\\..*-cloud-amd64$"), null));
    } catch (VmException e) {
      progress.say("cannot list " + suite + " (" + e.getMessage() + "); looking in the cache");
    }
    Optional<String> newest = newest(names, p);
    if (newest.isEmpty()) {
      try (Stream<Path> cached = Files.list(cache.resolve("kernels"))) {
        newest = newest(cached.map(c -> c.getFileName().toString()).toList(), p);
      } catch (IOException e) {
        // no cache yet
      }
    }
    String binary = newest.orElseThrow(() -> VmException.environment(
        "no Debian package linux-binary-" + series + ".*-cloud-amd64 in " + suite + " (see kernel-reference/debian-apt.sh)"));
    String release = binary.substring("linux-binary-".length());
    Path dir = cache.resolve("kernels").resolve(binary);
    try {
      if (!Files.exists(dir.resolve(".complete"))) {
        Path tmp = Files.createDirectories(cache.resolve("kernels")).resolve(binary + ".part");
        Tools.deleteTree(tmp);
        Files.createDirectories(tmp);
        progress.say("downloading " + binary + " and linux-modules-" + release + " from " + suite);
        Tools.run(List.of("bash", apt, suite, "download", tmp.toString(), binary, "linux-modules-" + release), null);
        try (Stream<Path> s = Files.list(tmp)) {
          for (Path deb : s.filter(f -> f.toString().endsWith(".deb")).toList()) {
            progress.say("unpacking " + deb.getFileName());
            Tools.run(List.of("dpkg", "-x", deb.toString(), tmp.resolve("root").toString()), null);
            Files.delete(deb);
          }
        }
        Files.writeString(tmp.resolve(".complete"), binary + "\n");
        Tools.deleteTree(dir);
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
      }
      Path modules = dir.resolve("root/usr/lib/modules").resolve(release);
      Path image = modules.resolve("vmlinuz");
      if (!Files.isRegularFile(image)) throw VmException.environment(binary + " holds no usr/lib/modules/" + release + "/vmlinuz");
      return new Kernel(image, Files.isDirectory(modules.resolve("kernel")) ? Optional.of(modules) : Optional.empty(),
          binary + " (" + suite + ")");
    } catch (IOException e) {
      throw VmException.environment("cannot prepare kernel " + binary + ": " + e.getMessage());
    }
  }
}
