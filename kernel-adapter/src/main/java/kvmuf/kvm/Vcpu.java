package kvmuf.kvm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static kvmuf.uapi.KvmUapi.RUN;
import static kvmuf.uapi.Structs.offset;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import kvmuf.sys.Errno;
import kvmuf.sys.Libc;
import kvmuf.sys.Mapping;
import kvmuf.sys.OwnedFd;
import kvmuf.sys.SyscallException;
import kvmuf.uapi.KvmUapi;
import kvmuf.x86.Regs;
import kvmuf.x86.Sregs;
import kvmuf.x86.X86Uapi;

/**
 * A vCPU fd and its mmap'd struct kvm_run. {@link #run()} issues KVM_RUN and decodes the exit.
 *
 * <p>The kvm_run mapping is owned here and unmapped after the fd is closed. A vCPU should be run by one
 * thread at a time (KVM serialises KVM_RUN per vCPU anyway).
 */
public final class Vcpu implements AutoCloseable {
  private static final long EXIT_REASON = offset(RUN, "exit_reason");
  private static final long IO_DIRECTION = offset(RUN, "exit", "io", "direction");
  private static final long IO_SIZE = offset(RUN, "exit", "io", "size");
  private static final long IO_PORT = offset(RUN, "exit", "io", "port");
  private static final long IO_COUNT = offset(RUN, "exit", "io", "count");
  private static final long IO_DATA_OFFSET = offset(RUN, "exit", "io", "data_offset");
  private static final long MMIO_PHYS_ADDR = offset(RUN, "exit", "mmio", "phys_addr");
  private static final long MMIO_DATA = offset(RUN, "exit", "mmio", "data");
  private static final long MMIO_LEN = offset(RUN, "exit", "mmio", "len");
  private static final long MMIO_IS_WRITE = offset(RUN, "exit", "mmio", "is_write");
  private static final long MF_FLAGS = offset(RUN, "exit", "memory_fault", "flags");
  private static final long MF_GPA = offset(RUN, "exit", "memory_fault", "gpa");
  private static final long MF_SIZE = offset(RUN, "exit", "memory_fault", "size");
  private static final long FE_REASON = offset(RUN, "exit", "fail_entry", "hardware_entry_failure_reason");
  private static final long FE_CPU = offset(RUN, "exit", "fail_entry", "cpu");
  private static final long INT_SUBERROR = offset(RUN, "exit", "internal", "suberror");
  private static final long INT_NDATA = offset(RUN, "exit", "internal", "ndata");

  private final int id;
  private final OwnedFd fd;
  private final Mapping runArea;
  private Exit last;

  Vcpu(int id, OwnedFd fd, int mmapSize) {
    this.id = id;
    this.fd = fd;
    // MAP_SHARED of the vCPU fd at offset 0: the kernel's struct kvm_run for this vCPU.
    this.runArea = Mapping.ofFd(fd.get(), mmapSize, 0);
  }

  public int id() {
    return id;
  }

  /** The raw kvm_run area (for fields the adapter does not decode). */
  public MemorySegment runArea() {
    return runArea.segment();
  }

  /** The exit of the last {@link #run()}, or null before the first. */
  public Exit lastExit() {
    return last;
  }

  /**
   * KVM_RUN: enters the guest until the next exit to userspace. Returns the decoded exit. When the ioctl
   * fails with EFAULT and exit_reason is KVM_EXIT_MEMORY_FAULT (39), that is a result, not an error: the
   * {@link Exit.MemoryFault} is returned. EINTR is returned as {@code Other(KVM_EXIT_INTR)}. Any other
   * failure throws {@link SyscallException}.
   */
  public Exit run() {
    MemorySegment r = runArea.segment();
    // After a memory-fault exit, reset exit_reason so that a later bare -EFAULT (e.g. an unreadable
    // userfault bitmap, which fills no memory_fault info) is not mistaken for another memory-fault exit.
    // Only then: arm64 reads exit_reason on entry to complete MMIO.
    if (last instanceof Exit.MemoryFault) r.set(JAVA_INT, EXIT_REASON, Exit.KVM_EXIT_UNKNOWN);
    long rc = Libc.ioctlRaw(fd.get(), KvmUapi.KVM_RUN, 0);
    return last = interpret(r, rc, id);
  }

  /**
   * Turns KVM_RUN's return ({@code rc >= 0} or -errno) and the kvm_run area into an exit. Separate from
   * {@link #run()} so the EFAULT / memory-fault rule can be tested on a synthetic kvm_run.
   */
  static Exit interpret(MemorySegment r, long rc, int vcpuId) {
    int reason = r.get(JAVA_INT, EXIT_REASON);
    if (rc < 0) {
      int errno = (int) -rc;
      if (errno == Errno.EFAULT.number() && reason == Exit.KVM_EXIT_MEMORY_FAULT) {
        return new Exit.MemoryFault(r.get(JAVA_LONG, MF_FLAGS), r.get(JAVA_LONG, MF_GPA), r.get(JAVA_LONG, MF_SIZE));
      }
      if (errno == Errno.EINTR.number()) return new Exit.Other(Exit.KVM_EXIT_INTR);
      throw new SyscallException("KVM_RUN", errno, "vcpu " + vcpuId + ", exit_reason=" + reason);
    }
    return decode(r, reason);
  }

  private static Exit decode(MemorySegment r, int reason) {
    return switch (reason) {
      case Exit.KVM_EXIT_IO ->
          new Exit.Io(
              r.get(JAVA_BYTE, IO_DIRECTION) == 0, // KVM_EXIT_IO_IN = 0, KVM_EXIT_IO_OUT = 1
              r.get(JAVA_BYTE, IO_SIZE),
              Short.toUnsignedInt(r.get(JAVA_SHORT, IO_PORT)),
              r.get(JAVA_INT, IO_COUNT),
              r.get(JAVA_LONG, IO_DATA_OFFSET));
      case Exit.KVM_EXIT_MMIO ->
          new Exit.Mmio(
              r.get(JAVA_LONG, MMIO_PHYS_ADDR),
              r.get(JAVA_LONG.withByteAlignment(1), MMIO_DATA),
              r.get(JAVA_INT, MMIO_LEN),
              r.get(JAVA_BYTE, MMIO_IS_WRITE) != 0);
      case Exit.KVM_EXIT_HLT -> new Exit.Hlt();
      case Exit.KVM_EXIT_SHUTDOWN -> new Exit.Shutdown();
      case Exit.KVM_EXIT_FAIL_ENTRY -> new Exit.FailEntry(r.get(JAVA_LONG, FE_REASON), r.get(JAVA_INT, FE_CPU));
      case Exit.KVM_EXIT_INTERNAL_ERROR -> new Exit.InternalError(r.get(JAVA_INT, INT_SUBERROR), r.get(JAVA_INT, INT_NDATA));
      case Exit.KVM_EXIT_MEMORY_FAULT ->
          // Only reachable if a kernel reports it with rc 0; decode it the same way.
          new Exit.MemoryFault(r.get(JAVA_LONG, MF_FLAGS), r.get(JAVA_LONG, MF_GPA), r.get(JAVA_LONG, MF_SIZE));
      default -> new Exit.Other(reason);
    };
  }

  /** The data area of an I/O exit: for IN, write the value here before the next run; for OUT, read it. */
  public MemorySegment ioData(Exit.Io io) {
    return runArea.segment().asSlice(io.dataOffset(), (long) io.size() * io.count());
  }

  /** Supplies the value an MMIO read returns to the guest when KVM_RUN is next called. */
  public void setMmioReadData(long littleEndianValue) {
    runArea.segment().set(JAVA_LONG.withByteAlignment(1), MMIO_DATA, littleEndianValue);
  }

  /** Sets kvm_run.immediate_exit: the next KVM_RUN returns EINTR at once (used to kick a vCPU). */
  public void setImmediateExit(boolean on) {
    runArea.segment().set(JAVA_BYTE, offset(RUN, "immediate_exit"), (byte) (on ? 1 : 0));
  }

  /** KVM_GET_REGS. */
  public Regs getRegs() {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment s = a.allocate(X86Uapi.REGS);
      Libc.ioctl(fd.get(), X86Uapi.KVM_GET_REGS, s, "KVM_GET_REGS", () -> "vcpu " + id);
      Regs regs = new Regs();
      regs.readFrom(s);
      return regs;
    }
  }

  /** KVM_SET_REGS. */
  public void setRegs(Regs regs) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment s = a.allocate(X86Uapi.REGS);
      regs.writeTo(s);
      Libc.ioctl(fd.get(), X86Uapi.KVM_SET_REGS, s, "KVM_SET_REGS", () -> "vcpu " + id);
    }
  }

  /** KVM_GET_SREGS. */
  public Sregs getSregs() {
    Sregs s = new Sregs();
    Libc.ioctl(fd.get(), X86Uapi.KVM_GET_SREGS, s.struct(), "KVM_GET_SREGS", () -> "vcpu " + id);
    return s;
  }

  /** KVM_SET_SREGS. */
  public void setSregs(Sregs s) {
    Libc.ioctl(fd.get(), X86Uapi.KVM_SET_SREGS, s.struct(), "KVM_SET_SREGS", () -> "vcpu " + id + ", cr0=0x" + Long.toHexString(s.cr0()));
  }

  @Override
  public void close() {
    if (fd.isClosed()) return;
    fd.close();
    runArea.close();
  }
}
