package kvmuf.bench;

/** Where the touching runs: vCPUs on this kernel's /dev/kvm, vCPUs inside a QEMU VM, or plain host threads. */
public enum Target {
  HOST("host"),
  VM("vm"),
  THREADS("threads");

  private final String cliName;

  Target(String cliName) {
    this.cliName = cliName;
  }

  public String cliName() {
    return cliName;
  }

  public static Target parse(String s) {
    for (Target t : values()) if (t.cliName.equals(s)) return t;
    throw new IllegalArgumentException("unknown target '" + s + "' (known: host, vm, threads)");
  }

  @Override
  public String toString() {
    return cliName;
  }
}
