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

  public static CfgFile config(String name) {
    return find("configs/" + name + ".cfg")
        .map(text -> CfgFile.parse(name, text))
        .orElseThrow(() -> new UnknownNameException("config", name, configNames()));
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
