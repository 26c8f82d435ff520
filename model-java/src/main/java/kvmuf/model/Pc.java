package kvmuf.model;

/** Where a vCPU is: the spec's {@code Pcs}, in the same order (the ordinal is the encoding). */
public enum Pc {
  IDLE("idle"),
  FAULT("fault"),
  LOOKUP("lookup"),
  UFFD_WAIT("uffd_wait"),
  INSTALL("install"),
  APF("apf"),
  EXITED("exited"),
  BITCLEARED("bitcleared"),
  INSTALLED("installed"),
  CLEARED("cleared");

  public final String tla;
  private static final Pc[] ALL = values();

  Pc(String tla) {
    this.tla = tla;
  }

  public static Pc of(int code) {
    return ALL[code];
  }

  /** ExitStages: KVM_RUN returned a USERFAULT exit and the VMM's handler owns the vCPU. */
  public static boolean exitStage(int pc) {
    return pc >= EXITED.ordinal();
  }

  /** SrcuStages: the access holds kvm->srcu, so a memslot commit waits for it. */
  public static boolean srcuStage(int pc) {
    return pc >= FAULT.ordinal() && pc <= INSTALL.ordinal();
  }
}
