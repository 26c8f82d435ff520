package kvmuf.trace;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import kvmuf.cli.ExitCodes;
import kvmuf.cli.CliRun;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

class TracesCliTest {
  record Run(int rc, String out, String err) {}

  static Run kvmuf(String... args) {
    CliRun r = CliRun.inProcess(args);
    return new Run(r.rc(), r.out(), r.err());
  }

  static Path generate(Path dir, String... extra) {
    List<String> args = new ArrayList<>(List.of("traces", "generate", "--config", "default", "--count", "30", "--length", "40",
        "--out", dir.toString()));
    args.addAll(List.of(extra));
    if (!args.contains("--seed")) {
      args.addAll(List.of("--seed", "7"));
    }
    Run r = kvmuf(args.toArray(String[]::new));
    assertThat(r.rc()).as(r.err()).isEqualTo(0);
    return dir;
  }

  static String bytes(Path dir) throws IOException {
    StringBuilder b = new StringBuilder();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.sorted().toList()) {
        b.append(p.getFileName()).append('\n').append(Files.readString(p));
      }
    }
    return b.toString();
  }

  @Test
  void sameSeedSameBytesAndAnotherSeedOtherBytes(@TempDir Path tmp) throws IOException {
    for (String strategy : List.of("random", "coverage")) {
      String a = bytes(generate(tmp.resolve(strategy + "a"), "--strategy", strategy));
      String b = bytes(generate(tmp.resolve(strategy + "b"), "--strategy", strategy));
      String c = bytes(generate(tmp.resolve(strategy + "c"), "--strategy", strategy, "--seed", "8"));
      assertThat(a).isEqualTo(b).isNotEqualTo(c);
      assertThat(a).contains("\"generator\":\"" + strategy + "\"");
    }
  }

  @Test
  void shardsOfOneSeedAreDisjointAndTogetherTheUnshardedCorpus(@TempDir Path tmp) throws IOException {
    for (String strategy : List.of("random", "coverage")) {
      Path all = generate(tmp.resolve(strategy + "all"), "--strategy", strategy);
      Path shards = tmp.resolve(strategy + "shards");
      for (int i = 0; i < 3; i++) {
        generate(shards, "--strategy", strategy, "--shard", i + "/3");
      }
      assertThat(bytes(shards)).isEqualTo(bytes(all));
      long replayed = 0;
      for (int i = 0; i < 3; i++) {
        Run r = kvmuf("traces", "replay", "--in", all.toString(), "--shard", i + "/3", "--json");
        assertThat(r.rc()).isZero();
        replayed += new ObjectMapper().readTree(r.out()).path("traces").asLong();
      }
      assertThat(replayed).as("replay shards cover the corpus once").isEqualTo(30);
      Path one = generate(tmp.resolve(strategy + "one"), "--strategy", strategy, "--shard", "1/3");
      try (Stream<Path> s = Files.list(one)) {
        assertThat(s.map(p -> p.getFileName().toString()).sorted().toList())
            .allMatch(n -> Integer.parseInt(n.substring(6, 12)) % 3 == 1).hasSize(10);
      }
    }
  }

  @Test
  void generateThenReplayJsonReportsZeroDivergencesAndCoverage(@TempDir Path tmp) throws IOException {
    Path dir = generate(tmp.resolve("t7"));
    Run r = kvmuf("traces", "replay", "--target", "model", "--in", dir.toString(), "--json");
    assertThat(r.rc()).isEqualTo(ExitCodes.OK);
    JsonNode j = new ObjectMapper().readTree(r.out());
    assertThat(j.path("traces").asInt()).isEqualTo(30);
    assertThat(j.path("divergences").asInt()).isZero();
    assertThat(j.path("coverage").path("default").path("actions").size()).isGreaterThan(5);
    assertThat(r.err()).as("no progress without a terminal").isEmpty();
  }

  @Test
  void replayFindsAnAlteredExpectAndShrinkKeepsIt(@TempDir Path tmp) throws IOException {
    Path dir = generate(tmp.resolve("t"));
    Path file = null;
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.sorted().toList()) {
        if (Files.readAllLines(p).size() > 8) {
          file = p;
          break;
        }
      }
    }
    List<String> lines = new ArrayList<>(Files.readAllLines(file));
    int line = 7; // step 5
    assertThat(lines.get(line - 1)).contains("\"pages_2m\":0");
    lines.set(line - 1, lines.get(line - 1).replace("\"pages_2m\":0", "\"pages_2m\":1"));
    Path bad = tmp.resolve("bad.ndjson");
    Files.write(bad, lines);
    Run r = kvmuf("traces", "replay", "--in", bad.toString());
    assertThat(r.rc()).isEqualTo(ExitCodes.VIOLATION);
    assertThat(r.out()).contains(bad + ":" + line + ": DIVERGENCE at step 5");
    Path small = tmp.resolve("small.ndjson");
    Run s = kvmuf("traces", "shrink", bad.toString(), "--until", "diverges", "--out", small.toString());
    assertThat(s.rc()).as(s.err()).isEqualTo(0);
    assertThat(s.out()).contains("still fails the same way");
    Path smaller = tmp.resolve("smaller.ndjson");
    assertThat(kvmuf("traces", "shrink", small.toString(), "--until", "diverges", "--out", smaller.toString()).rc()).isZero();
    assertThat(Files.readString(smaller)).isEqualTo(Files.readString(small));
    assertThat(kvmuf("traces", "replay", "--in", small.toString()).rc()).isEqualTo(ExitCodes.VIOLATION);
    Run none = kvmuf("traces", "shrink", file.toString(), "--until", "diverges");
    assertThat(none.rc()).isEqualTo(ExitCodes.USAGE);
    assertThat(none.err()).contains("does not diverge");
  }

  @Test
  void validateExitsOneAndNamesTheAlteredLine(@TempDir Path tmp) throws IOException {
    Path dir = generate(tmp.resolve("t"));
    Path logs = tmp.resolve("logs");
    assertThat(kvmuf("traces", "replay", "--in", dir.toString(), "--record", logs.toString()).rc()).isZero();
    Path log = logs.resolve("trace-000000.ndjson");
    assertThat(kvmuf("traces", "validate", log.toString()).rc()).isZero();
    List<String> lines = new ArrayList<>(Files.readAllLines(log));
    int line = -1;
    for (int k = 1; k < lines.size(); k++) {
      if (lines.get(k).contains("\"observed\":{\"kind\":\"done\"")) {
        line = k + 1;
        lines.set(k, lines.get(k).replace("\"observed\":{\"kind\":\"done\"", "\"observed\":{\"kind\":\"read\",\"value\":\"stale\""));
        break;
      }
    }
    assertThat(line).as("a line with a done observation").isPositive();
    Path bad = tmp.resolve("altered.ndjson");
    Files.write(bad, lines);
    Run r = kvmuf("traces", "validate", bad.toString());
    assertThat(r.rc()).isEqualTo(ExitCodes.VIOLATION);
    assertThat(r.out()).startsWith(bad + ":" + line + ": rejected: line " + line);
    assertThat(r.out()).contains("longest explained prefix");
    Run j = kvmuf("traces", "validate", bad.toString(), "--json");
    assertThat(new ObjectMapper().readTree(j.out()).path("firstUnexplainedLine").asInt()).isEqualTo(line);
  }

  // ------------------------------------------------------------------ bad input

  static final String HEADER = "{\"kind\":\"header\",\"format\":1,\"config\":{\"name\":\"default\",\"Vcpus\":2,\"NumGfns\":2,\"HugeSpan\":2,"
      + "\"SlotKind\":\"anon\",\"Arch\":\"x86\",\"UffdMode\":\"missing\",\"UserfaultUse\":\"late\",\"AsyncPf\":\"off\",\"DirtyLog\":true,"
      + "\"KvmAccesses\":true,\"Accesses\":1,\"MaxInvalidate\":1,\"Mutants\":[]},\"seed\":7,\"profile\":\"uf-v3\",\"generator\":\"random\"}";
  static final String STEP = "{\"i\":0,\"actor\":\"vmm\",\"action\":\"SetBit\",\"args\":{\"gfn\":1},\"expect\":[{\"kind\":\"done\",\"pages_4k\":0,\"pages_2m\":0}]}";

  @TestFactory
  Stream<DynamicTest> badInputIsOneLineNamingFileLineAndFieldWithExitTwo(@TempDir Path tmp) {
    Object[][] cases = {
      {"malformed JSON", HEADER + "\n" + STEP.substring(0, 40) + "\n", 2, "malformed JSON"},
      {"unknown action", HEADER + "\n" + STEP.replace("SetBit", "SetBits") + "\n", 2, "field 'action': unknown action 'SetBits'"},
      {"hidden action", HEADER + "\n" + STEP.replace("SetBit", "CheckBitmap") + "\n", 2, "field 'action': 'CheckBitmap' is a hidden"},
      {"missing field", HEADER + "\n" + STEP.replace("\"actor\":\"vmm\",", "") + "\n", 2, "field 'actor': missing field"},
      {"missing observation field", HEADER + "\n" + STEP.replace(",\"pages_2m\":0", "") + "\n", 2, "field 'expect[0].pages_2m': missing field"},
      {"wrong format version", HEADER.replace("\"format\":1", "\"format\":2") + "\n" + STEP + "\n", 1, "field 'format': format 2 is not supported"},
      {"out-of-range gfn", HEADER + "\n" + STEP.replace("\"gfn\":1", "\"gfn\":2") + "\n", 2, "field 'args.gfn': 2 out of range"},
      {"another config", HEADER.replace("\"NumGfns\":2", "\"NumGfns\":4") + "\n" + STEP + "\n", 1, "field 'config.NumGfns': the trace says 4 but config 'default' has 2"},
      {"unknown profile", HEADER.replace("\"uf-v3\"", "\"uf-v9\"") + "\n" + STEP + "\n", 1, "field 'profile': unknown UAPI profile 'uf-v9'"},
      {"unknown config", HEADER.replace("\"name\":\"default\"", "\"name\":\"huge\"") + "\n", 1, "field 'config.name': unknown config 'huge'"},
      {"wrong actor", HEADER + "\n" + STEP.replace("\"vmm\"", "\"vcpu0\"") + "\n", 2, "field 'actor': SetBit is issued by 'vmm'"},
      {"vcpu out of range", HEADER + "\n" + STEP.replace("\"vmm\",\"action\":\"SetBit\",\"args\":{\"gfn\":1}", "\"vcpu5\",\"action\":\"Access\",\"args\":{\"gfn\":1}") + "\n", 2, "field 'actor': vcpu5 out of range"},
      {"unknown observation kind", HEADER + "\n" + STEP.replace("\"done\"", "\"finished\"") + "\n", 2, "field 'expect[0].kind': unknown observation kind"},
      {"step index", HEADER + "\n" + STEP.replace("\"i\":0", "\"i\":3") + "\n", 2, "field 'i': expected step 0, got 3"},
      {"no header", STEP + "\n", 1, "field 'kind': missing field"},
      {"empty file", "", 1, "empty file"},
    };
    List<DynamicTest> tests = new ArrayList<>();
    for (Object[] c : cases) {
      tests.add(DynamicTest.dynamicTest((String) c[0], () -> {
        Path f = tmp.resolve(((String) c[0]).replace(' ', '-') + ".ndjson");
        Files.writeString(f, (String) c[1]);
        for (String[] cmd : List.of(
            new String[] {"traces", "replay", "--in", f.toString()},
            new String[] {"traces", "validate", f.toString()},
            new String[] {"traces", "shrink", f.toString(), "--until", "diverges"})) {
          Run r = kvmuf(cmd);
          assertThat(r.rc()).as(String.join(" ", cmd) + ": " + r.err()).isEqualTo(ExitCodes.USAGE);
          assertThat(r.err().lines().toList()).as("one line").hasSize(1);
          assertThat(r.err()).startsWith("kvmuf: " + f + ":" + c[2] + ": ").contains((String) c[3]);
          assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
          assertThat(r.out()).isEmpty();
        }
      }));
    }
    return tests.stream();
  }

  @Test
  void badOptionsAreUsageErrors(@TempDir Path tmp) {
    assertThat(kvmuf("traces", "generate", "--config", "nope", "--out", tmp.toString()).rc()).isEqualTo(ExitCodes.USAGE);
    assertThat(kvmuf("traces", "generate", "--config", "default", "--out", tmp.toString(), "--strategy", "x").rc()).isEqualTo(ExitCodes.USAGE);
    assertThat(kvmuf("traces", "generate", "--config", "default", "--out", tmp.toString(), "--shard", "3/3").rc()).isEqualTo(ExitCodes.USAGE);
    assertThat(kvmuf("traces", "replay", "--in", tmp.resolve("missing").toString()).rc()).isEqualTo(ExitCodes.USAGE);
    assertThat(kvmuf("traces", "replay", "--in", tmp.toString()).rc()).as("empty folder").isEqualTo(ExitCodes.USAGE);
    assertThat(kvmuf("traces", "replay", "--target", "kernel", "--in", tmp.toString()).rc()).isEqualTo(ExitCodes.USAGE);
    assertThat(kvmuf("traces", "shrink", "x.ndjson", "--until", "explodes").rc()).isEqualTo(ExitCodes.USAGE);
  }
}
