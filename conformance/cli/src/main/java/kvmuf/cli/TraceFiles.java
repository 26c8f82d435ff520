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

  /** The one input of validate and shrink: --in FILE, or the old positional FILE. */
  static Path oneInput(Path in, Path positional) {
    if (in != null && positional != null) {
      throw KvmufException.usage("give the trace once: --in FILE (a FILE without --in is the old form)");
    }
    if (in == null && positional == null) {
      throw KvmufException.usage("Missing required option: '--in=FILE'");
    }
    return in != null ? in : positional;
  }

  /** Creates an output folder (--out, --record) and its parents; a folder that cannot be made is a usage error. */
  static void createOutDir(Path dir) {
    createOutDir(dir, true);
  }

  /**
   * Prepares an output folder before any work is done, so a run that cannot write its results fails
   * at once and not after the rules or the bench ran: created if missing; refused when it already
   * holds traces (a second corpus would mix seeds) unless {@code force}; probed for writability
   * (read-only filesystem, permissions, a full disk are exit 4 naming the folder).
   */
  static void createOutDir(Path dir, boolean force) {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw KvmufException.usage(dir + ": exists and is not a folder");
    }
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw Failures.at(dir, e);
    }
    if (!force) {
      try (Stream<Path> s = Files.list(dir)) {
        long traces = s.filter(p -> p.getFileName().toString().endsWith(".ndjson")).count();
        if (traces > 0) {
          throw KvmufException.usage(dir + ": already holds " + plural(traces, "trace") + "; use an empty folder, or --force to write into it");
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    probeWritable(dir);
  }

  /**
   * Refuses a folder that holds traces this run would overwrite, or traces of another corpus (another
   * header: config, seed, strategy, profile): mixing seeds silently was the bug. Other shards of the
   * same corpus pass.
   */
  static void refuseOtherCorpus(Path dir, java.util.function.IntPredicate writes, String header) {
    List<Path> traces;
    try (Stream<Path> s = Files.list(dir)) {
      traces = s.filter(p -> p.getFileName().toString().endsWith(".ndjson")).sorted().toList();
    } catch (IOException e) {
      throw Failures.at(dir, e);
    }
    if (traces.isEmpty()) {
      return;
    }
    String first;
    try (var r = Files.newBufferedReader(traces.getFirst())) {
      first = r.readLine();
    } catch (IOException e) {
      throw Failures.at(traces.getFirst(), e);
    }
    boolean overlap = traces.stream().anyMatch(p -> {
      var m = java.util.regex.Pattern.compile("trace-(\\d+)\\.ndjson").matcher(p.getFileName().toString());
      return !m.matches() || writes.test(Integer.parseInt(m.group(1)));
    });
    if (overlap) {
      throw KvmufException.usage(dir + ": already holds " + plural(traces.size(), "trace") + "; use an empty folder, or --force to write into it");
    }
    if (!header.equals(first)) {
      throw KvmufException.usage(dir + ": already holds " + plural(traces.size(), "trace") + " of another corpus (" + traces.getFirst().getFileName()
          + " has another config, seed, strategy or profile); use an empty folder, or --force to write into it");
    }
  }

  /** Creates and deletes a file in {@code dir}: the cheap way to learn EROFS/EACCES/ENOSPC before a long run. */
  static void probeWritable(Path dir) {
    try {
      Path probe = Files.createTempFile(dir, ".kvmuf-probe", ".tmp");
      try {
        Files.write(probe, new byte[] {'\n'});
      } finally {
        Files.deleteIfExists(probe);
      }
    } catch (IOException e) {
      throw Failures.at(dir, e);
    }
  }

  /**
   * A single output file (shrink --out, bench --plot): never the input, never an existing file
   * unless {@code force}; its folder must exist and be writable (checked before the work starts).
   */
  static void checkOutFile(Path out, List<Path> inputs, boolean force) {
    for (Path in : inputs) {
      try {
        if (Files.exists(out) && Files.isSameFile(out, in)) {
          throw KvmufException.usage(out + ": is the input; write the result elsewhere");
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    if (Files.isDirectory(out)) {
      throw KvmufException.usage(out + ": is a folder; --out names the file to write");
    }
    if (Files.exists(out) && !force) {
      throw KvmufException.usage(out + ": exists; use --force to replace it");
    }
    Path dir = out.toAbsolutePath().getParent();
    if (!Files.isDirectory(dir)) {
      throw KvmufException.usage(dir + ": no such folder (for " + out + ")");
    }
    probeWritable(dir);
  }

  /** Writes a trace whole or not at all (see {@link AtomicFiles}). */
  static void write(Path file, Trace t) {
    AtomicFiles.writeString(file, TraceCodec.toText(t));
  }

  static String plural(long n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }

  static Trace read(Path file) {
    try {
      return TraceCodec.read(file);
    } catch (TraceFormatException e) {
      throw KvmufException.usage(e.getMessage());
    }
  }

  /** A trace to replay step by step: a concurrent log has no single order to replay (validate searches for one). */
  static Trace readReplayable(Path file) {
    Trace t = read(file);
    if ("concurrent".equals(t.header().generator())) {
      throw KvmufException.usage(file + ": a concurrent log (generator \"concurrent\") cannot be replayed step by step; "
          + "check it with 'kvmuf traces validate " + file + "'");
    }
    return t;
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

}
