package kvmuf.model;

/**
 * Where a vCPU is: the spec's {@code Pcs}, in the same order (the ordinal is the encoding). Each
 * pc names the condition the vCPU is in after its last step, never the step it takes next, so no
 * pc shares a name with an {@link Action}.
 */
public enum Pc {
  /** Running guest code, no access in flight. */
  IDLE("idle"),
  /** A stage-2 fault was taken: mmu_invalidate_seq and the memslot are snapshotted. */
  FAULTED("faulted"),
  /** Past the bitmap check (KVM's own access has none): the GUP / guest_memfd lookup is next. */
  CHECKED("checked"),
  /** Asleep in handle_userfault() until a uffd COPY/CONTINUE or WAKE. */
  UFFD_WAITING("uffd_waiting"),
  /** The lookup returned a pfn: mmu_lock, the retry check and the SPTE install are next. */
  PFN_READY("pfn_ready"),
  /**
   * The fault installed its SPTE while a USERFAULT enable, a DELETE or a MOVE waits to commit; SRCU is released
   * and KVM re-enters the guest, whose access has not re-executed yet (the commit's zap may come first).
   */
  SPTE_INSTALLED("spte_installed"),
  /** An async page fault is pending; the guest runs other work. */
  APF_PENDING("apf_pending"),
  /** KVM_RUN returned a USERFAULT exit; the VMM's handler has done nothing yet. */
  EXITED("exited"),
  /** The handler cleared the bit but has not installed the page (ClearBeforeInstall). */
  BIT_CLEARED("bit_cleared"),
  /** The handler installed the page; the bit is still set. */
  PAGE_INSTALLED("page_installed"),
  /** The handler installed the page and cleared the bit; KVM_RUN is re-entered next. */
  RESOLVED("resolved");

  /** Old names (before the pcs were renamed), kept while callers outside model-java move over. */
  @Deprecated public static final Pc FAULT = FAULTED;
  @Deprecated public static final Pc LOOKUP = CHECKED;
  @Deprecated public static final Pc UFFD_WAIT = UFFD_WAITING;
  @Deprecated public static final Pc INSTALL = PFN_READY;
  @Deprecated public static final Pc APF = APF_PENDING;
  @Deprecated public static final Pc BITCLEARED = BIT_CLEARED;
  @Deprecated public static final Pc INSTALLED = PAGE_INSTALLED;
  @Deprecated public static final Pc CLEARED = RESOLVED;

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
    return pc >= FAULTED.ordinal() && pc <= PFN_READY.ordinal();
  }
}
