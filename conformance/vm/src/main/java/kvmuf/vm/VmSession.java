package kvmuf.vm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * One VM run from the user's options to a {@link VmRunner.Report}: resolve the kernel (first, so a
 * bad path is reported before anything slow), find QEMU, link the runtime, build or reuse the
 * initramfs, boot. The kit's jars are at {@code /kit} in the guest, extra roots at
 * {@code /extra/cp/N}.
 */
public final class VmSession {
  /** JVM flags inside the guest: no perf-data file, C1 only and serial GC, which start fastest under emulation. */
  public static final List<String> GUEST_JVM_FLAGS = List.of(
      "-XX:-UsePerfData", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "--enable-native-access=ALL-UNNAMED");
  public static final String GUEST_JAVA = "/jre/bin/java";

  /**
   * The guest's java launcher and JVM flags, plus any in {@code $KVMUF_GUEST_JAVA_OPTIONS}
   * (space-separated; for diagnosis, e.g. -Xlog:startuptime or -Xshare:off).
   */
  public static List<String> guestJava() {
    List<String> cmd = new ArrayList<>(List.of(GUEST_JAVA));
    cmd.addAll(GUEST_JVM_FLAGS);
    String extra = System.getenv("KVMUF_GUEST_JAVA_OPTIONS");
    if (extra != null && !extra.isBlank()) {
      cmd.addAll(List.of(extra.strip().split("\\s+")));
    }
    return cmd;
  }
  public static final String GUEST_KIT_JAR = "/kit/kvmuf.jar";

  private final Kernel kernel;
  private final Path qemu;
  private final Duration timeout;
  private final Progress progress;
  private final Path cache;

  public VmSession(String kernelSpec, String modules, Duration timeout, Progress progress) {
    this(kernelSpec, modules, Optional.empty(), timeout, progress);
  }

  /** As above, booting the reference kernel with one of its seeded bugs switched on ({@code kvm.userfault_mutant=ID}). */
  public VmSession(String kernelSpec, String modules, Optional<KernelMutant> mutant, Duration timeout, Progress progress) {
    if (mutant.isPresent() && !ReferenceKernel.NAME.equals(kernelSpec)) {
      throw VmException.usage("--kernel-mutant needs --kernel reference (only our reference kernel has the seeded bugs)");
    }
    this.cache = Cache.root();
    this.progress = progress;
    this.timeout = timeout;
    Kernel k = KernelSource.resolve(kernelSpec, modules, cache, progress);
    this.kernel = mutant.map(m -> k.withBootArg(m.bootArg(), ", mutant " + m.name())).orElse(k);
    this.qemu = QemuLocator.locate();
  }

  public Kernel kernel() {
    return kernel;
  }

  /** The guest argv running the kit's CLI with {@code args}. */
  public static List<String> kitCommand(List<String> args) {
    List<String> cmd = guestJava();
    cmd.addAll(List.of("-jar", GUEST_KIT_JAR));
    cmd.addAll(args);
    return cmd;
  }

  /**
   * Boots, runs {@code guestCommand} with the kit and {@code extraRoots} (jars or class folders)
   * in the guest, streams output to {@code sink}. Boot failures, panics and timeouts become exit-3
   * errors; the guest command's own exit code is in the report.
   */
  public VmRunner.Report run(List<String> guestCommand, List<Path> extraRoots,
      Consumer<SerialFraming.Output> sink) {
    try {
      Path jdk = JavaRuntime.currentJdk();
      SortedMap<String, Path> payload = new TreeMap<>();
      List<Path> analysed = new ArrayList<>();
      Path main = KitJars.mainJar();
      for (Path jar : KitJars.all()) {
        payload.put(jar.equals(main) ? "kit/kvmuf.jar" : "kit/lib/" + jar.getFileName(), jar);
        analysed.add(jar);
      }
      for (int i = 0; i < extraRoots.size(); i++) {
        addRoot(payload, guestRoot(extraRoots, i).substring(1), extraRoots.get(i));
        analysed.add(extraRoots.get(i));
      }
      List<String> modules = JavaRuntime.modulesFor(jdk, analysed, cache, progress);
      Path runtime = JavaRuntime.jlink(jdk, modules, false, cache, progress);
      Path image = InitramfsBuilder.build(kernel, runtime, payload, cache, progress);
      VmRunner.Report r = new VmRunner(qemu, kernel, image, timeout, progress).run(guestCommand, sink);
      if (!(r.outcome() instanceof VmOutcome.Exited)) {
        throw VmException.environment(VmOutcome.describe(r.outcome(), kernel.label()));
      }
      return r;
    } catch (IOException | UncheckedIOException e) {
      throw VmException.environment("VM setup failed: " + e.getMessage());
    }
  }

  /** Where extra root {@code i} lives in the guest: a jar keeps its name, a folder is a folder. */
  public static String guestRoot(List<Path> roots, int i) {
    Path r = roots.get(i);
    return Files.isDirectory(r) ? "/extra/cp/" + i : "/extra/cp/" + i + "-" + r.getFileName();
  }

  private static void addRoot(SortedMap<String, Path> payload, String at, Path root) throws IOException {
    if (!Files.exists(root)) {
      throw VmException.environment("not found: " + root);
    }
    if (!Files.isDirectory(root)) {
      payload.put(at, root);
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path f : s.filter(Files::isRegularFile).toList()) {
        payload.put(at + "/" + root.relativize(f), f);
      }
    }
  }
}
