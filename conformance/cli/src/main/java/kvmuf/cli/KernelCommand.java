package kvmuf.cli;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import kvmuf.vm.BuiltKernels;
import kvmuf.vm.Cache;
import kvmuf.vm.Kernel;
import kvmuf.vm.Progress;
import kvmuf.vm.ReferenceKernel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kvmuf kernel}: build kernels from patch series and list the cached builds. */
@Command(
    name = "kernel",
    mixinStandardHelpOptions = true,
    description = {
      "Build a kernel from your own patch series and boot it with --kernel built:NAME wherever a kernel is taken",
      "(kvmuf vm ..., kvmuf conform --target vm)."
    },
    subcommands = {KernelCommand.Build.class, KernelCommand.ListCmd.class})
public final class KernelCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  @Command(
      name = "build",
      mixinStandardHelpOptions = true,
      description = {
        "Apply a quilt-style series (DIR/series naming the patches in order, each applied with patch -p1",
        "--fuzz=0; a '-pN' after a name sets its strip level) to Debian's kernel source of the base",
        "(linux-source-7.3 from trixie-backports through a private apt sources list, or linux-source-6.12),",
        "configure it with tinyconfig + the fragment (default: kernel-reference/config.fragment for 7.3,",
        "config-6.12.fragment for 6.12; KVM built in) and make bzImage, with progress on stderr. The result",
        "is cached under ~/.cache/kvmuf/built/KEY, KEY a hash of base, source version, series, patches,",
        "fragment and build scripts, so the same inputs are built once; NAME points at it (--kernel built:NAME).",
        "stdout: the bzImage path. 8-15 minutes on 2 shared cores.",
        "Exit codes: 0 built (or cached); 2 usage; 3 environment, and a series that does not apply:",
        "  one line naming the patch and the file of its first rejected hunk."
      })
  static final class Build implements Callable<Integer> {
    @Option(names = "--series", required = true, paramLabel = "DIR", description = "The patch series folder (with its series file).")
    Path series;

    @Option(names = "--base", defaultValue = ReferenceKernel.BASE, paramLabel = "7.3|6.12",
        description = "The Debian kernel source to patch (default ${DEFAULT-VALUE}).")
    String base;

    @Option(names = "--config-fragment", paramLabel = "FILE", description = "Kconfig options on top of tinyconfig.")
    Path fragment;

    @Option(names = "--name", defaultValue = "default", paramLabel = "NAME",
        description = "Name for --kernel built:NAME (default ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--source-tree", paramLabel = "DIR",
        description = "Patch this unpacked tree instead of Debian's package (keyed by its path, not its content).")
    Path sourceTree;

    @Option(names = {"-q", "--quiet"}, description = "No progress lines on stderr.")
    boolean quiet;

    @Override
    public Integer call() {
      BuiltKernels.Inputs in = new BuiltKernels.Inputs(ReferenceKernel.sourceDir(), base, series.toAbsolutePath(),
          Optional.ofNullable(fragment).map(Path::toAbsolutePath), Optional.ofNullable(sourceTree).map(Path::toAbsolutePath));
      Kernel k = BuiltKernels.build(in, name, Cache.root(), Progress.stderr(quiet));
      System.out.println(k.image());
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "The cached builds: key, names, base and source version, series, fragment, patches, release, when built.")
  static final class ListCmd implements Callable<Integer> {
    @Option(names = "--json", description = "One JSON array instead of text.")
    boolean json;

    @Override
    public Integer call() {
      var entries = BuiltKernels.list(Cache.root());
      if (json) {
        var list = new java.util.ArrayList<java.util.Map<String, Object>>();
        for (var e : entries) {
          var m = new java.util.LinkedHashMap<String, Object>();
          m.put("key", e.key());
          m.put("names", e.names());
          m.put("image", e.image().toString());
          m.putAll(e.info());
          list.add(m);
        }
        System.out.println(Json.write(list));
        return ExitCodes.OK;
      }
      if (entries.isEmpty()) System.out.println("no kernels built yet (kvmuf kernel build --series DIR --name NAME)");
      for (var e : entries) {
        var i = e.info();
        System.out.println(e.key().substring(0, 12) + "  " + (e.names().isEmpty() ? "(unnamed)" : String.join(",", e.names()))
            + "  base " + i.getOrDefault("base", "?") + " (" + i.getOrDefault("package", "?") + " " + i.getOrDefault("version", "?") + ")"
            + "  " + i.getOrDefault("kernel_release", "?") + "  built " + i.getOrDefault("built_at", "?"));
        System.out.println("    series " + i.getOrDefault("series_dir", "?") + ": " + i.getOrDefault("patches", ""));
        System.out.println("    fragment " + i.getOrDefault("fragment", "?") + "  image " + e.image());
      }
      return ExitCodes.OK;
    }
  }
}
