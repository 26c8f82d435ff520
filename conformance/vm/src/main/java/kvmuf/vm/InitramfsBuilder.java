package kvmuf.vm;

import kvmuf.proc.RunCleanup;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Builds the guest's initramfs: static busybox, the KVM modules in load order, {@code /init}, a
 * jlinked runtime at {@code /jre} with the host libraries it loads, and the payload (the kit's jars
 * at {@code /kit}, test jars at {@code /extra}). The gzipped archive is cached under
 * {@code CACHE/initramfs/HASH.cpio.gz}, HASH covering every byte that goes in, so a rebuilt jar or
 * another kernel's modules give a new image and an unchanged setup boots at once.
 *
 * <p>What changes every run (the command, the framing nonce) is not in this image: it goes into a
 * small second archive the runner appends ({@link #perRunArchive}); the kernel unpacks
 * concatenated archives in order.
 */
public final class InitramfsBuilder {
  /** The modules the guest should try to load; their dependencies come from the kernel's metadata. */
  static final List<String> WANTED_MODULES = List.of("kvm_amd", "kvm_intel");
  /** Images kept in the cache: enough for a kit and a test payload on two kernels. */
  static final int KEEP_IMAGES = 4;

  private InitramfsBuilder() {}

  /**
   * Returns the cached image for these inputs, building it if needed. {@code payload} maps guest
   * paths (relative, e.g. {@code kit/kvmuf.jar}) to host files.
   */
  public static Path build(Kernel kernel, Path runtime, SortedMap<String, Path> payload, Path cache,
      Progress progress) throws IOException {
    Path busybox = staticBusybox();
    byte[] init = initScript();
    Map<String, byte[]> modules = modules(kernel);
    List<Path> libs = SharedLibs.forRuntime(runtime);

    Cache.Key key = new Cache.Key().add("initramfs-v1").add(init).addFile(busybox)
        .add("runtime:" + runtime.getFileName());
    modules.forEach((n, b) -> key.add(n).add(b));
    libs.forEach(l -> key.add(l.toString()).addFile(l));
    payload.forEach((g, h) -> key.add(g).addFile(h));
    Path image = cache.resolve("initramfs").resolve(key.hex() + ".cpio.gz");
    if (Files.exists(image)) {
      progress.say("initramfs cached: " + image);
      Cache.touch(image);
      return image;
    }
    progress.say("building initramfs (" + modules.size() + " modules, "
        + payload.size() + " payload files) at " + image);
    Files.createDirectories(image.getParent());
    Path tmp = image.resolveSibling(image.getFileName() + ".part");
    RunCleanup.deleteOnExit(tmp); // an interrupted build leaves no half image in the shared cache
    try (OutputStream f = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20);
        OutputStream gz = new FastGzip(f);
        CpioWriter cpio = new CpioWriter(gz)) {
      Tree t = new Tree(cpio);
      for (String d : List.of("bin", "dev", "proc", "sys", "tmp", "run", "lib/modules/kvmuf")) {
        t.dir(d);
      }
      cpio.charDevice("dev/console", 0600, 5, 1);
      t.file("init", 0755, init);
      t.file("bin/busybox", 0755, busybox);
      cpio.symlink("bin/sh", "busybox");
      StringBuilder order = new StringBuilder();
      for (var m : modules.entrySet()) {
        t.file("lib/modules/kvmuf/" + m.getKey(), 0644, m.getValue());
        order.append(m.getKey()).append('\n');
      }
      t.file("lib/modules/kvmuf/order", 0644, order.toString().getBytes(StandardCharsets.UTF_8));
      for (Path lib : libs) {
        t.file(lib.toString().substring(1), 0755, lib);
      }
      t.tree("jre", runtime);
      for (var e : payload.entrySet()) {
        t.file(e.getKey(), 0644, e.getValue());
      }
    }
    Files.move(tmp, image, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    RunCleanup.forget(tmp);
    Cache.prune(image.getParent(), ".cpio.gz", KEEP_IMAGES);
    return image;
  }

  /** The small archive for one run: the framing nonce and the command, as a shell snippet for init. */
  public static byte[] perRunArchive(String nonce, List<String> guestCommand) throws IOException {
    StringBuilder sh = new StringBuilder("NONCE=").append(quote(nonce)).append('\n')
        .append("kvmuf_command() {");
    for (String a : guestCommand) {
      sh.append(' ').append(quote(a));
    }
    sh.append("; }\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (CpioWriter cpio = new CpioWriter(out)) {
      cpio.directory("run", 0755);
      cpio.directory("run/kvmuf", 0755);
      cpio.file("run/kvmuf/run.sh", 0644, sh.toString().getBytes(StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }

  /** Single-quotes a word for sh: nothing inside single quotes is special except the quote itself. */
  static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  static byte[] initScript() throws IOException {
    try (InputStream in = InitramfsBuilder.class.getResourceAsStream("init.sh")) {
      if (in == null) {
        throw new IllegalStateException("init.sh missing from the kit's jar");
      }
      return in.readAllBytes();
    }
  }

  /** Decompressed modules in load order, keyed by guest file name. */
  static Map<String, byte[]> modules(Kernel kernel) throws IOException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    if (kernel.modules().isEmpty()) {
      return out; // KVM built in, or a kernel without modules: nothing to load
    }
    Path tree = kernel.modules().get();
    List<String> order;
    try {
      order = KernelModules.open(tree, KernelModules::decompress).loadOrder(WANTED_MODULES);
    } catch (IllegalStateException e) {
      throw VmException.environment("kernel modules in " + tree + ": " + e.getMessage());
    }
    for (String rel : order) {
      out.put(KernelModules.name(rel) + ".ko", KernelModules.decompress(tree.resolve(rel)));
    }
    return out;
  }

  static Path staticBusybox() throws IOException {
    for (String c : List.of("/bin/busybox", "/usr/bin/busybox")) {
      Path p = Path.of(c);
      if (Files.isExecutable(p) && isStatic(p)) {
        return p;
      }
    }
    throw VmException.environment("static busybox not found: apt-get install busybox-static");
  }

  /** A static ELF has no PT_INTERP program header: it needs no loader in the guest. */
  static boolean isStatic(Path elf) throws IOException {
    byte[] b;
    try (InputStream in = Files.newInputStream(elf)) {
      b = in.readNBytes(64 * 1024);
    }
    var buf = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    if (b.length < 64 || buf.getInt(0) != 0x464c457f) {
      return false;
    }
    long phoff = buf.getLong(0x20);
    int phentsize = Short.toUnsignedInt(buf.getShort(0x36));
    int phnum = Short.toUnsignedInt(buf.getShort(0x38));
    for (int i = 0; i < phnum; i++) {
      long at = phoff + (long) i * phentsize;
      if (at + 4 > b.length) {
        return false;
      }
      if (buf.getInt((int) at) == 3) { // PT_INTERP
        return false;
      }
    }
    return true;
  }

  /** Emits parent directories before their entries, as the kernel's unpacker needs. */
  private static final class Tree {
    private final CpioWriter cpio;
    private final Set<String> dirs = new HashSet<>();

    Tree(CpioWriter cpio) {
      this.cpio = cpio;
    }

    void dir(String d) throws IOException {
      if (d.isEmpty() || dirs.contains(d)) {
        return;
      }
      int slash = d.lastIndexOf('/');
      if (slash > 0) {
        dir(d.substring(0, slash));
      }
      cpio.directory(d, 0755);
      dirs.add(d);
    }

    void parent(String name) throws IOException {
      int slash = name.lastIndexOf('/');
      if (slash > 0) {
        dir(name.substring(0, slash));
      }
    }

    void file(String name, int perm, byte[] data) throws IOException {
      parent(name);
      cpio.file(name, perm, data);
    }

    void file(String name, int perm, Path source) throws IOException {
      parent(name);
      cpio.file(name, perm, source);
    }

    /** A host folder, recursively, with its symlinks kept as symlinks. */
    void tree(String at, Path root) throws IOException {
      List<Path> all = new ArrayList<>();
      try (Stream<Path> s = Files.walk(root)) {
        s.sorted().forEach(all::add);
      }
      for (Path p : all) {
        String rel = root.relativize(p).toString();
        String name = rel.isEmpty() ? at : at + "/" + rel;
        if (Files.isSymbolicLink(p)) {
          parent(name);
          cpio.symlink(name, Files.readSymbolicLink(p).toString());
        } else if (Files.isDirectory(p)) {
          dir(name);
        } else {
          file(name, Files.isExecutable(p) ? 0755 : 0644, p);
        }
      }
    }
  }

  /** gzip at the fastest level: the archive is built often and the kernel inflates any level equally fast. */
  private static final class FastGzip extends GZIPOutputStream {
    FastGzip(OutputStream out) throws IOException {
      super(out, 1 << 16);
      def.setLevel(Deflater.BEST_SPEED);
    }
  }
}
