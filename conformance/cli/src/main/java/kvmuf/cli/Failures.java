package kvmuf.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import kvmuf.tlc.TlcSetupException;
import kvmuf.trace.TraceFormatException;
import kvmuf.vm.VmException;

/**
 * Every exception a command can end with, as one line and an exit code. Only a violation or a
 * divergence is exit 1, and commands return that themselves: nothing thrown ever maps to 1.
 */
final class Failures {
  private Failures() {}

  record Failure(int exitCode, String line, boolean internal) {}

  static Failure of(Throwable ex) {
    for (Throwable t = ex; t != null; t = t.getCause()) {
      if (t instanceof OutOfMemoryError) {
        return outOfMemory();
      }
    }
    if (ex instanceof KvmufException k) {
      return new Failure(k.exitCode(), k.getMessage(), false);
    }
    if (ex instanceof VmException v) {
      return new Failure(v.kind() == VmException.Kind.USAGE ? ExitCodes.USAGE : ExitCodes.ENVIRONMENT, v.getMessage(), false);
    }
    if (ex instanceof TraceFormatException t) {
      return new Failure(ExitCodes.USAGE, t.getMessage(), false); // already file:line: field: cause
    }
    if (ex instanceof kvmuf.spec.CfgException c) {
      return new Failure(ExitCodes.USAGE, c.getMessage(), false); // file:line: what is wrong with the config
    }
    if (ex instanceof TlcSetupException t) {
      return new Failure(ExitCodes.ENVIRONMENT, t.getMessage(), false);
    }
    if (ex instanceof UncheckedIOException u) {
      return io(u.getCause());
    }
    if (ex instanceof IOException io) {
      return io(io);
    }
    return new Failure(ExitCodes.IO_OR_INTERNAL, "internal error: " + ex.getClass().getName()
        + (ex.getMessage() == null ? "" : ": " + ex.getMessage().lines().findFirst().orElse(""))
        + " (a bug in the kit; --debug or KVMUF_DEBUG=1 prints the stack trace)", true);
  }

  /**
   * The JVM's heap is full (the explorer's seen-set and state store grow with the state space: a config of a few
   * hundred million states needs more than the default quarter of the machine's memory). Not a bug: say how much
   * the heap was and how to give it more.
   */
  static Failure outOfMemory() {
    long max = Runtime.getRuntime().maxMemory();
    return new Failure(ExitCodes.ENVIRONMENT, String.format(java.util.Locale.ROOT,
        "out of memory: the Java heap (at most %.1f GiB) is full; give it more with KVMUF_JAVA_OPTS=-Xmx<size> "
            + "(e.g. -Xmx20g), or check a config with smaller bounds", max / (double) (1L << 30)), false);
  }

  /** An I/O failure while working on {@code path}, named even when the exception does not carry it (a write's ENOSPC). */
  static KvmufException at(java.nio.file.Path path, IOException e) {
    if (e instanceof FileSystemException fs) {
      return KvmufException.io(path + ": " + cause(fs)); // the path the user gave, not a temporary file's
    }
    String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return KvmufException.io(path + ": " + hint(msg));
  }

  /** An I/O failure: the path and the cause (permission, read-only filesystem, disk full) in words. */
  static Failure io(IOException e) {
    if (e instanceof FileSystemException fs) {
      String file = fs.getFile() == null ? "" : fs.getFile() + ": ";
      String why = cause(fs);
      return new Failure(ExitCodes.IO_OR_INTERNAL, file + why, false);
    }
    String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return new Failure(ExitCodes.IO_OR_INTERNAL, "I/O error: " + hint(msg), false);
  }

  private static String cause(FileSystemException fs) {
    if (fs instanceof AccessDeniedException) {
      return "permission denied (cannot write or read here)";
    }
    if (fs instanceof NoSuchFileException) {
      return "no such file or folder";
    }
    if (fs instanceof FileAlreadyExistsException) {
      return "already exists";
    }
    if (fs instanceof DirectoryNotEmptyException) {
      return "folder not empty";
    }
    if (fs instanceof NotDirectoryException) {
      return "not a folder";
    }
    String reason = fs.getReason() != null ? fs.getReason() : fs.getMessage();
    return hint(reason);
  }

  /** The errno texts a user meets most, with what they mean for the run. */
  static String hint(String reason) {
    if (reason.contains("No space left on device")) {
      return "No space left on device (ENOSPC: the disk is full; nothing was finished)";
    }
    if (reason.contains("Read-only file system")) {
      return "Read-only file system (EROFS: write the output elsewhere with --out)";
    }
    if (reason.contains("Permission denied")) {
      return "Permission denied (EACCES)";
    }
    return reason;
  }

  /** Whether a stack trace is wanted: --debug on the command line or KVMUF_DEBUG=1. */
  static boolean debugFromEnv() {
    String v = System.getenv("KVMUF_DEBUG");
    return v != null && !v.isBlank() && !v.equals("0");
  }
}
