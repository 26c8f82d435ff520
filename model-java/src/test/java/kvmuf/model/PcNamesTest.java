package kvmuf.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import kvmuf.spec.SpecBundle;
import org.junit.jupiter.api.Test;

/** The pc names: the spec's Pcs in Pc's order, and none spelled like an action. */
class PcNamesTest {
  private static List<String> specPcs() {
    String tla = SpecBundle.read("KvmUserfault.tla");
    Matcher m = Pattern.compile("Pcs == \\{([^}]*)}").matcher(tla);
    assertThat(m.find()).as("the spec defines Pcs").isTrue();
    return Arrays.stream(m.group(1).split(",")).map(s -> s.strip().replace("\"", "")).toList();
  }

  @Test
  void theEnumListsTheSpecsPcsInOrder() {
    assertThat(Arrays.stream(Pc.values()).map(p -> p.tla).toList()).isEqualTo(specPcs());
  }

  @Test
  void noPcIsSpelledLikeAnAction() {
    List<String> actions = Arrays.stream(Action.class.getPermittedSubclasses())
        .map(c -> c.getSimpleName().toLowerCase()).toList();
    for (String pc : specPcs()) {
      assertThat(actions).as("pc " + pc).doesNotContain(pc.replace("_", "").toLowerCase());
    }
  }
}
