package kvmuf.kvm;

/**
 * The arguments of KVM_SET_USER_MEMORY_REGION2 (struct kvm_userspace_memory_region2). {@code
 * userfaultBitmap} is the KVM Userfault field at offset 48: zero on upstream kernels.
 */
public record MemoryRegion2(
    int slot,
    int flags,
    long guestPhysAddr,
    long memorySize,
    long userspaceAddr,
    long guestMemfdOffset,
    int guestMemfd,
    long userfaultBitmap) {

  /** A plain host-memory slot. */
  public static MemoryRegion2 of(int slot, int flags, long guestPhysAddr, long memorySize, long userspaceAddr) {
    return new MemoryRegion2(slot, flags, guestPhysAddr, memorySize, userspaceAddr, 0, 0, 0);
  }

  public MemoryRegion2 withFlags(int newFlags) {
    return new MemoryRegion2(slot, newFlags, guestPhysAddr, memorySize, userspaceAddr, guestMemfdOffset, guestMemfd, userfaultBitmap);
  }

  public MemoryRegion2 withGuestMemfd(int fd, long offset) {
    return new MemoryRegion2(
        slot, flags | UapiProfile.KVM_MEM_GUEST_MEMFD, guestPhysAddr, memorySize, userspaceAddr, offset, fd, userfaultBitmap);
  }

  /** The same slot at another guest-physical address (a MOVE). */
  public MemoryRegion2 withGuestPhysAddr(long gpa) {
    return new MemoryRegion2(slot, flags, gpa, memorySize, userspaceAddr, guestMemfdOffset, guestMemfd, userfaultBitmap);
  }

  public MemoryRegion2 withUserfaultBitmap(long address) {
    return new MemoryRegion2(slot, flags, guestPhysAddr, memorySize, userspaceAddr, guestMemfdOffset, guestMemfd, address);
  }

  /** True when the call would use a KVM Userfault part of the UAPI (the flag bit or the bitmap word). */
  public boolean usesUserfault() {
    return (flags & UapiProfile.KVM_MEM_USERFAULT) != 0 || userfaultBitmap != 0;
  }

  @Override
  public String toString() {
    return "slot="
        + slot
        + ", flags=0x"
        + Integer.toHexString(flags)
        + ", gpa=0x"
        + Long.toHexString(guestPhysAddr)
        + ", size=0x"
        + Long.toHexString(memorySize)
        + ", uaddr=0x"
        + Long.toHexString(userspaceAddr)
        + (guestMemfd != 0 || guestMemfdOffset != 0
            ? ", guest_memfd=" + guestMemfd + ", guest_memfd_offset=0x" + Long.toHexString(guestMemfdOffset)
            : "")
        + (userfaultBitmap != 0 ? ", userfault_bitmap=0x" + Long.toHexString(userfaultBitmap) : "");
  }
}
