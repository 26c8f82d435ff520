package kvmuf.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import kvmuf.model.Config;
import kvmuf.model.MutantId;
import kvmuf.spec.SpecBundle;
import kvmuf.spec.UnknownNameException;
import kvmuf.trace.Trace;
import kvmuf.trace.TraceCodec;
import kvmuf.trace.TraceFormatException;

/** Shared input handling of the traces subcommands: bad input is one line and exit 2. */
final class TraceFiles {
  private TraceFiles() {}

  /** The trace files of --in: a file, or a folder's *.ndjson files in name order. */
  static List<Path> list(Path in) {
    if (Files.isDirectory(in)) {
      try (Stream<Path> s = Files.list(in)) {
        List<Path> files = s.filter(p -> p.getFileName().toString().endsWith(".ndjson")).sorted().toList();
        if (files.isEmpty()) {
          throw KvmufException.usage(in + ": no *.ndjson trace files in this folder");
        }
        return files;
      } catch (IOException e) {
        throw KvmufException.usage(in + ": cannot list: " + e.getMessage());
      }
    }
    if (!Files.isRegularFile(in)) {
      throw KvmufException.usage(in + ": no such file or folder");
    }
    return List.of(in);
  }

  /** Creates an output folder (--out, --record) and its parents; a folder that cannot be made is a usage error. */
  static void createOutDir(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw KvmufException.usage(dir + ": cannot create: " + e.getMessage());
    }
  }

  static Trace read(Path file) {
    try {
      return TraceCodec.read(file);
    } catch (TraceFormatException e) {
      throw KvmufException.usage(e.getMessage());
    }
  }

  static Config config(String name, List<String> mutants) {
    if (!SpecBundle.configNames().contains(name)) {
      throw KvmufException.usage(new UnknownNameException("config", name, SpecBundle.configNames()).getMessage());
    }
    Config c = Config.load(name);
    if (mutants.isEmpty()) {
      return c;
    }
    java.util.Set<MutantId> ids = java.util.EnumSet.noneOf(MutantId.class);
    for (String m : mutants) {
      try {
        ids.add(MutantId.valueOf(m));
      } catch (IllegalArgumentException e) {
        throw KvmufException.usage("unknown mutant '" + m + "'; see 'kvmuf mutants'");
      }
    }
    return c.withMutants(ids);
  }

  /** Parses --shard i/n into {i, n}; null means {0, 1}. */
  static int[] shard(String shard) {
    if (shard == null) {
      return new int[] {0, 1};
    }
    String[] p = shard.split("/");
    int i;
    int n;
    try {
      i = Integer.parseInt(p[0]);
      n = Integer.parseInt(p[1]);
    } catch (RuntimeException e) {
      throw KvmufException.usage("--shard wants i/n, e.g. 0/4, not '" + shard + "'");
    }
    if (p.length != 2 || n < 1 || i < 0 || i >= n) {
      throw KvmufException.usage("--shard wants i/n with 0 <= i < n, not '" + shard + "'");
    }
    return new int[] {i, n};
  }

  /** CPU time of the calling thread (the trace commands are single-threaded), for rates on a loaded machine. */
  static long cpuNanos() {
    var mx = java.lang.management.ManagementFactory.getThreadMXBean();
    return mx.isCurrentThreadCpuTimeSupported() ? mx.getCurrentThreadCpuTime() : System.nanoTime();
  }

  /** True when progress may be printed: a terminal is attached and --json is off. */
  static boolean progress(boolean json) {
    return !json && System.console() != null;
  }
}
