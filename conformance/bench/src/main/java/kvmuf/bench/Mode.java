package kvmuf.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * How the benchmark's faults are served: the rows of the series' performance table (facts file section 4).
 * The CLI names are what users type; {@link #selftestFlags} are the matching demand_paging_test flags.
 */
public enum Mode {
  /** Memory already present in the host page tables: only the bare access path (KVM's stage-2 fault) is timed. */
  NONE("none"),
  /** One userfaultfd over the whole region, R reader threads polling it (demand_paging_test -a -u MODE -r R). */
  UFFD_SINGLE("uffd-single"),
  /** One userfaultfd per vCPU chunk with one reader each (demand_paging_test -u MODE). */
  UFFD_PER_VCPU("uffd-per-vcpu"),
  /** KVM Userfault only: the vCPU exits on each marked page and installs it itself (-k in the series). */
  KVM_UF("kvm-uf"),
  /** KVM Userfault exits, resolved through a single userfaultfd with DONTWAKE (-k -a -u MODE in the series). */
  KVM_UF_UFFD("kvm-uf+uffd");

  private final String cliName;

  Mode(String cliName) {
    this.cliName = cliName;
  }

  public String cliName() {
    return cliName;
  }

  public boolean usesUffd() {
    return this == UFFD_SINGLE || this == UFFD_PER_VCPU || this == KVM_UF_UFFD;
  }

  public boolean usesKvmUserfault() {
    return this == KVM_UF || this == KVM_UF_UFFD;
  }

  /** One uffd per chunk (true) or one for the whole region. */
  public boolean perVcpuUffd() {
    return this == UFFD_PER_VCPU;
  }

  /** Parses "none,uffd-single"; throws IllegalArgumentException naming the known modes. */
  public static List<Mode> parseList(String csv) {
    List<Mode> out = new ArrayList<>();
    for (String s : csv.split(",", -1)) {
      String name = s.strip();
      Mode m = Arrays.stream(values()).filter(v -> v.cliName.equals(name)).findFirst().orElseThrow(() -> new IllegalArgumentException(
          "unknown mode '" + name + "' (known: " + Arrays.stream(values()).map(Mode::cliName).collect(Collectors.joining(", ")) + ")"));
      if (out.contains(m)) throw new IllegalArgumentException("mode '" + name + "' given twice");
      out.add(m);
    }
    return out;
  }

  @Override
  public String toString() {
    return cliName;
  }
}
