package kvmuf.vm;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.List;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Where the VM runner keeps what is slow to make: downloaded kernels, jlinked runtimes, initramfs
 * images. {@code $KVMUF_CACHE}, else {@code $XDG_CACHE_HOME/kvmuf}, else {@code ~/.cache/kvmuf}.
 * Entries are named by a content hash of their inputs, so a stale entry is never reused and
 * deleting the folder is always safe.
 */
public final class Cache {
  private Cache() {}

  public static Path root() {
    String own = System.getProperty("kvmuf.cache", System.getenv("KVMUF_CACHE"));
    if (own != null && !own.isBlank()) {
      return Path.of(own);
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    if (xdg != null && !xdg.isBlank()) {
      return Path.of(xdg, "kvmuf");
    }
    return Path.of(System.getProperty("user.home"), ".cache", "kvmuf");
  }

  /**
   * Deletes all but the {@code keep} most recently used entries of {@code dir} whose names end
   * with {@code suffix}: every rebuilt jar makes a new 50 MiB image, and old ones are never reused.
   * Callers mark an entry used by touching it.
   */
  public static void prune(Path dir, String suffix, int keep) throws IOException {
    List<Path> entries;
    try (var s = Files.list(dir)) {
      entries = s.filter(p -> p.getFileName().toString().endsWith(suffix))
          .sorted(Comparator.comparing((Path p) -> {
            try {
              return Files.getLastModifiedTime(p);
            } catch (IOException e) {
              return FileTime.fromMillis(0);
            }
          }).reversed())
          .toList();
    }
    for (Path old : entries.subList(Math.min(keep, entries.size()), entries.size())) {
      Files.deleteIfExists(old);
    }
  }

  /** Marks a cache entry as just used, for {@link #prune}. */
  public static void touch(Path entry) throws IOException {
    Files.setLastModifiedTime(entry, FileTime.fromMillis(System.currentTimeMillis()));
  }

  /** A SHA-256 that callers feed strings and file contents into, in a fixed order. */
  public static final class Key {
    private final MessageDigest md;

    public Key() {
      try {
        md = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    public Key add(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      // Length first, so that ("ab","c") and ("a","bc") hash differently.
      md.update(java.nio.ByteBuffer.allocate(4).putInt(b.length).array());
      md.update(b);
      return this;
    }

    public Key add(byte[] b) {
      add("bytes:" + b.length);
      md.update(b);
      return this;
    }

    public Key addFile(Path p) {
      try (InputStream in = Files.newInputStream(p)) {
        add("file:" + Files.size(p));
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) > 0; ) {
          md.update(buf, 0, n);
        }
        return this;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** The first 16 hex digits: enough to tell cache entries apart. */
    public String hex() {
      return HexFormat.of().formatHex(md.digest()).substring(0, 16);
    }
  }
}
