package kvmuf.kvm;

/**
 * Why KVM_RUN returned: the fields of struct kvm_run the kit needs, decoded once. A closed set, so a
 * caller's {@code switch} must say what it does with each kind.
 */
public sealed interface Exit {
  int KVM_EXIT_UNKNOWN = 0;
  int KVM_EXIT_IO = 2;
  int KVM_EXIT_HLT = 5;
  int KVM_EXIT_MMIO = 6;
  int KVM_EXIT_SHUTDOWN = 8;
  int KVM_EXIT_FAIL_ENTRY = 9;
  int KVM_EXIT_INTR = 10;
  int KVM_EXIT_INTERNAL_ERROR = 17;
  int KVM_EXIT_MEMORY_FAULT = UapiProfile.KVM_EXIT_MEMORY_FAULT;

  /** Port I/O (KVM_EXIT_IO). Data lives in the kvm_run page at {@code dataOffset}: see Vcpu#ioData. */
  record Io(boolean in, int size, int port, int count, long dataOffset) implements Exit {}

  /** An access to a gpa no memslot backs (KVM_EXIT_MMIO); {@code data} is little-endian, {@code len} bytes. */
  record Mmio(long gpa, long data, int len, boolean isWrite) implements Exit {}

  record Hlt() implements Exit {}

  /**
   * KVM_EXIT_MEMORY_FAULT: KVM_RUN failed with EFAULT and filled kvm_run.memory_fault. With KVM Userfault
   * {@code flags} carries KVM_MEMORY_EXIT_FLAG_USERFAULT (1<<4), gpa is page aligned, size one page.
   */
  record MemoryFault(long flags, long gpa, long size) implements Exit {
    public boolean isUserfault() {
      return (flags & UapiProfile.KVM_MEMORY_EXIT_FLAG_USERFAULT) != 0;
    }

    public boolean isPrivate() {
      return (flags & UapiProfile.KVM_MEMORY_EXIT_FLAG_PRIVATE) != 0;
    }
  }

  record Shutdown() implements Exit {}

  record InternalError(int suberror, int ndata) implements Exit {}

  record FailEntry(long hardwareEntryFailureReason, int cpu) implements Exit {}

  /** Anything else, including KVM_EXIT_INTR (10) when KVM_RUN was interrupted by a signal (EINTR). */
  record Other(int reason) implements Exit {}
}
