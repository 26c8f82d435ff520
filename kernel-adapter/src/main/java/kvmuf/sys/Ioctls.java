package kvmuf.sys;

import static kvmuf.sys.Ioc.io;
import static kvmuf.sys.Ioc.ior;
import static kvmuf.sys.Ioc.iow;
import static kvmuf.sys.Ioc.iowr;

import kvmuf.kvm.KvmLayouts;
import kvmuf.uffd.UffdLayouts;

/**
 * Every ioctl request number the adapter issues, in one place, computed from the struct layouts exactly as
 * the C headers define them ({@code _IOW(KVMIO, 0x49, struct kvm_userspace_memory_region2)}). IoctlsTest
 * checks each against the number the kernel headers produce.
 */
public final class Ioctls {
  private Ioctls() {}

  public static final int KVMIO = 0xAE;
  public static final int UFFDIO = 0xAA;

  // System ioctls (/dev/kvm).
  public static final long KVM_GET_API_VERSION = io(KVMIO, 0x00);
  public static final long KVM_CREATE_VM = io(KVMIO, 0x01);
  public static final long KVM_CHECK_EXTENSION = io(KVMIO, 0x03);
  public static final long KVM_GET_VCPU_MMAP_SIZE = io(KVMIO, 0x04);

  // VM ioctls.
  public static final long KVM_CREATE_VCPU = io(KVMIO, 0x41);
  public static final long KVM_GET_DIRTY_LOG = iow(KVMIO, 0x42, KvmLayouts.DIRTY_LOG);
  public static final long KVM_SET_USER_MEMORY_REGION = iow(KVMIO, 0x46, KvmLayouts.USERSPACE_MEMORY_REGION);
  public static final long KVM_SET_USER_MEMORY_REGION2 = iow(KVMIO, 0x49, KvmLayouts.USERSPACE_MEMORY_REGION2);
  public static final long KVM_ENABLE_CAP = iow(KVMIO, 0xa3, KvmLayouts.ENABLE_CAP);
  public static final long KVM_GET_STATS_FD = io(KVMIO, 0xce);
  public static final long KVM_CREATE_GUEST_MEMFD = iowr(KVMIO, 0xd4, KvmLayouts.CREATE_GUEST_MEMFD);

  // vCPU ioctls.
  public static final long KVM_RUN = io(KVMIO, 0x80);
  public static final long KVM_GET_REGS = ior(KVMIO, 0x81, KvmLayouts.REGS);
  public static final long KVM_SET_REGS = iow(KVMIO, 0x82, KvmLayouts.REGS);
  public static final long KVM_GET_SREGS = ior(KVMIO, 0x83, KvmLayouts.SREGS);
  public static final long KVM_SET_SREGS = iow(KVMIO, 0x84, KvmLayouts.SREGS);

  // userfaultfd.
  /** ioctl on /dev/userfaultfd that returns a new userfaultfd (the argument is the open flags). */
  public static final long USERFAULTFD_IOC_NEW = io(UFFDIO, 0x00);
  public static final long UFFDIO_REGISTER = iowr(UFFDIO, 0x00, UffdLayouts.REGISTER);
  public static final long UFFDIO_UNREGISTER = ior(UFFDIO, 0x01, UffdLayouts.RANGE);
  public static final long UFFDIO_WAKE = ior(UFFDIO, 0x02, UffdLayouts.RANGE);
  public static final long UFFDIO_COPY = iowr(UFFDIO, 0x03, UffdLayouts.COPY);
  public static final long UFFDIO_ZEROPAGE = iowr(UFFDIO, 0x04, UffdLayouts.ZEROPAGE);
  public static final long UFFDIO_WRITEPROTECT = iowr(UFFDIO, 0x06, UffdLayouts.WRITEPROTECT);
  public static final long UFFDIO_CONTINUE = iowr(UFFDIO, 0x07, UffdLayouts.CONTINUE);
  public static final long UFFDIO_API = iowr(UFFDIO, 0x3F, UffdLayouts.API);
}
