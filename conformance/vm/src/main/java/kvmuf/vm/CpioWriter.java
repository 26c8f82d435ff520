package kvmuf.vm;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a cpio archive in the "newc" format, the only one the kernel unpacks into its initramfs
 * (Documentation/driver-api/early-userspace/buffer-format.rst).
 *
 * <p>Written in Java rather than with the cpio tool so that the archive is reproducible (fixed
 * mtime, owner and inode numbers: the cache key does not need to chase timestamps) and so that
 * entries come from anywhere (a file under another name, generated text) without staging a tree.
 */
public final class CpioWriter implements AutoCloseable {
  static final String MAGIC = "070701";
  static final String TRAILER = "TRAILER!!!";
  static final int S_IFDIR = 0040000;
  static final int S_IFREG = 0100000;
  static final int S_IFLNK = 0120000;
  static final int S_IFCHR = 0020000;

  private final OutputStream out;
  private long written;
  private int nextInode = 1;

  public CpioWriter(OutputStream out) {
    this.out = out;
  }

  public void directory(String name, int perm) throws IOException {
    header(name, S_IFDIR | perm, 0, 0, 0);
    pad();
  }

  public void file(String name, int perm, byte[] data) throws IOException {
    header(name, S_IFREG | perm, data.length, 0, 0);
    write(data);
    pad();
  }

  /** A regular file whose content is copied from {@code source} (a symlink is followed). */
  public void file(String name, int perm, Path source) throws IOException {
    long size = Files.size(source);
    header(name, S_IFREG | perm, size, 0, 0);
    try (InputStream in = Files.newInputStream(source)) {
      long n = in.transferTo(out);
      if (n != size) {
        throw new IOException(source + " changed size while being archived");
      }
      written += n;
    }
    pad();
  }

  public void symlink(String name, String target) throws IOException {
    byte[] t = target.getBytes(StandardCharsets.UTF_8);
    header(name, S_IFLNK | 0777, t.length, 0, 0);
    write(t);
    pad();
  }

  public void charDevice(String name, int perm, int major, int minor) throws IOException {
    header(name, S_IFCHR | perm, 0, major, minor);
    pad();
  }

  /** Ends the archive; the kernel stops reading this archive at the trailer entry. */
  @Override
  public void close() throws IOException {
    header(TRAILER, 0, 0, 0, 0);
    pad();
    out.flush();
  }

  private void header(String name, int mode, long size, int rdevMajor, int rdevMinor)
      throws IOException {
    if (name.startsWith("/")) {
      throw new IllegalArgumentException("cpio names are relative: " + name);
    }
    if (size > 0xffffffffL) {
      throw new IllegalArgumentException("newc cannot hold a file over 4 GiB: " + name);
    }
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    boolean dir = (mode & 0170000) == S_IFDIR;
    StringBuilder h = new StringBuilder(110).append(MAGIC);
    hex(h, name.equals(TRAILER) ? 0 : nextInode++); // ino
    hex(h, mode);
    hex(h, 0); // uid: root
    hex(h, 0); // gid: root
    hex(h, dir ? 2 : 1); // nlink
    hex(h, 0); // mtime: fixed, for reproducible archives
    hex(h, size);
    hex(h, 0); // devmajor
    hex(h, 0); // devminor
    hex(h, rdevMajor);
    hex(h, rdevMinor);
    hex(h, n.length + 1); // namesize, with the NUL
    hex(h, 0); // check: unused in newc
    write(h.toString().getBytes(StandardCharsets.US_ASCII));
    write(n);
    write(new byte[] {0});
    pad();
  }

  private static void hex(StringBuilder h, long v) {
    String s = Long.toHexString(v);
    h.append("0".repeat(8 - s.length())).append(s);
  }

  private void write(byte[] b) throws IOException {
    out.write(b);
    written += b.length;
  }

  /** newc aligns every header and every file body to 4 bytes. */
  private void pad() throws IOException {
    while (written % 4 != 0) {
      out.write(0);
      written++;
    }
  }
}
