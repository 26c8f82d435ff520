package kvmuf.spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;

/**
 * The TLA+ sources, model configs and catalogues shipped inside the kit's jar (packaged from
 * {@code spec/}), so that every engine reads the same files wherever the kit runs.
 */
public final class SpecBundle {
  static final String ROOT = "kvmuf/spec/tla/";
  /** The TLA+ modules TLC needs next to each other. */
  public static final List<String> MODULES = List.of("KvmUserfault.tla", "MC.tla");
  /** The module TLC is pointed at (it adds vCPU symmetry to the spec). */
  public static final String MC_MODULE = "MC.tla";

  private SpecBundle() {}

  public static String read(String relative) {
    return find(relative)
        .orElseThrow(() -> new IllegalStateException("the kit's jar lacks " + ROOT + relative));
  }

  public static Optional<String> find(String relative) {
    try (InputStream in = SpecBundle.class.getClassLoader().getResourceAsStream(ROOT + relative)) {
      if (in == null) {
        return Optional.empty();
      }
      return Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The names of the shipped model configs (configs/NAME.cfg), in catalogue order. */
  public static List<String> configNames() {
    return ExpectedVerdicts.load().configs();
  }

  /**
   * A shipped config by name ({@code small}), or a user's own config file by path (anything that
   * ends in {@code .cfg} or names a folder: {@code own.cfg}, {@code ./x/own.cfg}); a shipped
   * config need not be recorded in expected-states.tsv to be checked.
   *
   * @throws UnknownNameException for a name the kit does not ship
   * @throws CfgException for a file that cannot be read or parsed (one line naming file:line)
   */
  public static CfgFile config(String nameOrPath) {
    if (isPath(nameOrPath)) {
      return configFile(Path.of(nameOrPath));
    }
    return find("configs/" + nameOrPath + ".cfg")
        .map(text -> CfgFile.parse(nameOrPath, text))
        .orElseThrow(() -> new UnknownNameException("config", nameOrPath, configNames()));
  }

  /** Whether {@code config} names a file rather than a shipped config. */
  public static boolean isPath(String config) {
    return config.endsWith(".cfg") || config.contains("/") || config.contains(java.io.File.separator);
  }

  /** A user's own config file; its name is the file name without {@code .cfg}. */
  public static CfgFile configFile(Path file) {
    String source = file.toString();
    if (!Files.isRegularFile(file)) {
      throw new CfgException(source, 0, Files.exists(file) ? "not a regular file" : "no such file");
    }
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException | java.io.UncheckedIOException e) {
      throw new CfgException(source, 0, "cannot read: " + e.getMessage());
    }
    String name = file.getFileName().toString().replaceFirst("\\.cfg$", "");
    return CfgFile.parse(name, source, text);
  }

  /** Copies the TLA+ modules into {@code dir} (TLC reads modules from the spec's folder). */
  public static void extractModules(Path dir) {
    for (String module : MODULES) {
      try (InputStream in = SpecBundle.class.getClassLoader().getResourceAsStream(ROOT + module)) {
        if (in == null) {
          throw new IllegalStateException("the kit's jar lacks " + ROOT + module);
        }
        Files.copy(in, dir.resolve(module), StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
