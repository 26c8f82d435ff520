package kvmuf.vm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheTest {
  @Test
  void pruneKeepsTheMostRecentlyUsedEntriesOfItsKind(@TempDir Path dir) throws Exception {
    for (int i = 0; i < 6; i++) {
      Path p = Files.writeString(dir.resolve("img" + i + ".cpio.gz"), "x");
      Files.setLastModifiedTime(p, FileTime.fromMillis(1_000_000L * (i + 1)));
    }
    Files.writeString(dir.resolve("other.part"), "in progress");
    Cache.touch(dir.resolve("img0.cpio.gz")); // the oldest, used just now
    Cache.prune(dir, ".cpio.gz", 3);
    try (var s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("img0.cpio.gz", "img5.cpio.gz", "img4.cpio.gz", "other.part");
    }
  }

  @Test
  void keysDependOnContentAndBoundaries(@TempDir Path dir) throws Exception {
    assertThat(new Cache.Key().add("ab").add("c").hex()).isNotEqualTo(new Cache.Key().add("a").add("bc").hex());
    Path f = Files.writeString(dir.resolve("f"), "one");
    String before = new Cache.Key().addFile(f).hex();
    Files.writeString(f, "two");
    assertThat(new Cache.Key().addFile(f).hex()).isNotEqualTo(before).hasSize(16);
  }
}
