package kvmuf.kvm;

import kvmuf.sys.Errno;
import kvmuf.sys.Libc;
import kvmuf.sys.OwnedFd;
import kvmuf.sys.SyscallException;
import kvmuf.uapi.KvmUapi;

/** The KVM system fd ({@code /dev/kvm}): version and capability queries, and VM creation. */
public final class Kvm implements AutoCloseable {
  public static final String DEVICE = "/dev/kvm";
  /** The only API version the KVM UAPI has ever had. */
  public static final int API_VERSION = 12;

  private final OwnedFd fd;

  private Kvm(OwnedFd fd) {
    this.fd = fd;
  }

  /**
   * Opens /dev/kvm. Throws {@link UnsupportedFeatureException} ("unsupported: no /dev/kvm") when the
   * device is absent or cannot be opened, so tests and conformance can report the reason.
   */
  public static Kvm open() {
    long rc = Libc.openRaw(DEVICE, Libc.O_RDWR | Libc.O_CLOEXEC);
    if (rc < 0) {
      int e = (int) -rc;
      throw new UnsupportedFeatureException(
          e == Errno.ENOENT.number() ? "unsupported: no /dev/kvm"
              : "unsupported: cannot open /dev/kvm: " + Errno.describe(e)
                  + (e == Errno.EACCES.number() ? " (/dev/kvm needs root or the kvm group)" : ""));
    }
    return new Kvm(new OwnedFd((int) rc, "kvm"));
  }

  /** Why KVM cannot be used here, or null when /dev/kvm opens. */
  public static String unavailableReason() {
    try {
      open().close();
      return null;
    } catch (UnsupportedFeatureException e) {
      return e.getMessage();
    }
  }

  int fd() {
    return fd.get();
  }

  /** KVM_GET_API_VERSION: 12 on every kernel since 2.6.22. */
  public int apiVersion() {
    return (int) Libc.ioctl(fd.get(), KvmUapi.KVM_GET_API_VERSION, 0, "KVM_GET_API_VERSION");
  }

  /** KVM_CHECK_EXTENSION on the system fd: 0 when absent, otherwise a capability-specific positive value. */
  public int checkExtension(int cap) {
    long rc = Libc.ioctlRaw(fd.get(), KvmUapi.KVM_CHECK_EXTENSION, cap);
    // An unknown capability answers 0; an error here means the fd itself is bad.
    return (int) Libc.check(rc, "KVM_CHECK_EXTENSION", () -> "fd=" + fd + ", cap=" + cap);
  }

  public int checkExtension(KvmCap cap) {
    return checkExtension(cap.number());
  }

  /** KVM_GET_VCPU_MMAP_SIZE: bytes to mmap from a vCPU fd (kvm_run plus the pio/coalesced-mmio pages). */
  public int vcpuMmapSize() {
    return (int) Libc.ioctl(fd.get(), KvmUapi.KVM_GET_VCPU_MMAP_SIZE, 0, "KVM_GET_VCPU_MMAP_SIZE");
  }

  /** KVM_CREATE_VM with the default type 0, speaking the profile this kernel shows by behaviour. */
  public Vm createVm() {
    return createVm(0, UserfaultEvidence.ofThisKernel().profile());
  }

  /**
   * KVM_CREATE_VM with a machine type (x86: 0 default, 1 KVM_X86_SW_PROTECTED_VM ...) and the UAPI profile
   * the caller wants to speak. The profile gates the KVM Userfault calls of the returned Vm.
   */
  public Vm createVm(long type, UapiProfile profile) {
    long rc = Libc.ioctlRaw(fd.get(), KvmUapi.KVM_CREATE_VM, type);
    if (rc < 0) throw new SyscallException("KVM_CREATE_VM", (int) -rc, "fd=" + fd + ", type=" + type);
    return new Vm(this, new OwnedFd((int) rc, "vm"), profile);
  }

  @Override
  public void close() {
    fd.close();
  }
}
