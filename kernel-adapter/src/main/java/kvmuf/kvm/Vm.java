package kvmuf.kvm;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static kvmuf.uapi.Structs.offset;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import kvmuf.gmem.GuestMemfd;
import kvmuf.sys.Libc;
import kvmuf.sys.Mapping;
import kvmuf.sys.OwnedFd;
import kvmuf.uapi.KvmUapi;

/**
 * A VM fd (from KVM_CREATE_VM): memslots, vCPUs, dirty log, stats, guest_memfd, capabilities.
 *
 * <p>Memory ownership: a memslot stores only a host virtual address. Memory handed to {@link
 * #setUserMemoryRegion(int, int, long, Mapping)} (and bitmaps handed to {@link
 * #setUserMemoryRegion2(MemoryRegion2, Mapping, UserfaultBitmap)}) is pinned until the slot is deleted or
 * replaced, or until this Vm is closed, so the mapping cannot be unmapped under a live slot. Mappings made
 * by {@link #mapAnonymous} belong to the Vm and are unmapped by {@link #close()} after the VM fd.
 *
 * <p>The {@link UapiProfile} decides whether KVM Userfault parts of the UAPI may be used: a call that
 * sets KVM_MEM_USERFAULT or a bitmap throws {@link UnsupportedFeatureException} unless the profile has
 * KVM Userfault and this kernel answers its capability number. {@link #setUserMemoryRegion2Unchecked}
 * skips the gate, for conformance steps that test how a kernel rejects the bit.
 */
public final class Vm implements AutoCloseable {
  private final OwnedFd fd;
  private final UapiProfile profile;
  private final int vcpuMmapSize;
  private final Map<Integer, List<Mapping>> pinnedBySlot = new HashMap<>();
  private final List<Mapping> owned = new ArrayList<>();
  private final List<Vcpu> vcpus = new ArrayList<>();
  private final List<AutoCloseable> children = new ArrayList<>();

  Vm(Kvm kvm, OwnedFd fd, UapiProfile profile) {
    this.fd = fd;
    this.profile = profile;
    this.vcpuMmapSize = kvm.vcpuMmapSize();
  }

  public int fd() {
    return fd.get();
  }

  public UapiProfile profile() {
    return profile;
  }

  /** KVM_CHECK_EXTENSION on the VM fd (answers can depend on the VM type). */
  public int checkExtension(int cap) {
    return (int) Libc.check(
        Libc.ioctlRaw(fd.get(), KvmUapi.KVM_CHECK_EXTENSION, cap), "KVM_CHECK_EXTENSION", () -> "vm fd, cap=" + cap);
  }

  public int checkExtension(KvmCap cap) {
    return checkExtension(cap.number());
  }

  /**
   * Throws unless KVM Userfault can be used on this VM: the profile must have it and the kernel must show
   * it by behaviour (KVM_MEM_USERFAULT accepted on a scratch VM, {@link UserfaultEvidence#ofThisKernel}),
   * whatever capability number it answers.
   */
  public void requireUserfault() {
    if (!profile.hasUserfault()) {
      throw new UnsupportedFeatureException(
          "unsupported: KVM_CAP_USERFAULT not offered by this kernel as used (UAPI profile " + profile.id()
              + "; the kernel: " + UserfaultEvidence.ofThisKernel().describe() + ")");
    }
    UserfaultEvidence e = UserfaultEvidence.ofThisKernel();
    if (!e.flagAccepted()) {
      throw new UnsupportedFeatureException(
          "unsupported: KVM_CAP_USERFAULT not offered by this kernel (profile " + profile.id() + " asked for; "
              + e.describe() + ")");
    }
  }

  /** Anonymous memory owned by this Vm: unmapped only after the VM fd is closed. */
  public synchronized Mapping mapAnonymous(long length, boolean shared) {
    Mapping m = Mapping.anonymous(length, shared);
    owned.add(m);
    return m;
  }

  /** 2 MiB-aligned private anonymous memory owned by this Vm, for THP-backed slots. */
  public synchronized Mapping mapAnonymousAligned(long length, long alignment) {
    Mapping m = Mapping.anonymousAligned(length, alignment);
    owned.add(m);
    return m;
  }

  /**
   * KVM_SET_USER_MEMORY_REGION with a raw host address; the caller guarantees that the memory outlives the
   * slot. {@code size == 0} deletes the slot. Throws SyscallException (EEXIST on overlap, EINVAL ...).
   */
  public void setUserMemoryRegion(int slot, int flags, long guestPhysAddr, long size, long userspaceAddr) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment r = a.allocate(KvmUapi.USERSPACE_MEMORY_REGION);
      r.set(JAVA_INT, 0, slot);
      r.set(JAVA_INT, 4, flags);
      r.set(JAVA_LONG, 8, guestPhysAddr);
      r.set(JAVA_LONG, 16, size);
      r.set(JAVA_LONG, 24, userspaceAddr);
      // The kernel copies the struct during the call; the arena lives across it.
      Libc.ioctl(
          fd.get(),
          KvmUapi.KVM_SET_USER_MEMORY_REGION,
          r,
          "KVM_SET_USER_MEMORY_REGION",
          () ->
              "slot=" + slot + ", flags=0x" + Integer.toHexString(flags) + ", gpa=0x" + Long.toHexString(guestPhysAddr)
                  + ", size=0x" + Long.toHexString(size) + ", uaddr=0x" + Long.toHexString(userspaceAddr));
    }
    if (size == 0) repin(slot, List.of());
  }

  /** KVM_SET_USER_MEMORY_REGION backed by a whole mapping, pinned while the slot exists. */
  public void setUserMemoryRegion(int slot, int flags, long guestPhysAddr, Mapping backing) {
    setUserMemoryRegion(slot, flags, guestPhysAddr, backing.length(), backing.address());
    repin(slot, List.of(backing));
  }

  /** Deletes a slot (KVM_SET_USER_MEMORY_REGION with size 0) and unpins its memory. */
  public void deleteMemoryRegion(int slot) {
    setUserMemoryRegion(slot, 0, 0, 0, 0);
  }

  /**
   * KVM_SET_USER_MEMORY_REGION2 (KVM_CAP_USER_MEMORY2, Linux 6.8+). If the region uses KVM Userfault (flag
   * 1<<3 or a bitmap), the profile gate applies first: see {@link #requireUserfault()}.
   */
  public void setUserMemoryRegion2(MemoryRegion2 region) {
    if (region.usesUserfault()) requireUserfault();
    setUserMemoryRegion2Unchecked(region);
  }

  /** As {@link #setUserMemoryRegion2(MemoryRegion2)}, pinning the backing mapping and the bitmap (may be null). */
  public void setUserMemoryRegion2(MemoryRegion2 region, Mapping backing, UserfaultBitmap bitmap) {
    setUserMemoryRegion2(region);
    List<Mapping> pins = new ArrayList<>();
    if (backing != null) pins.add(backing);
    if (bitmap != null) pins.add(bitmap.mapping());
    repin(region.slot(), region.memorySize() == 0 ? List.of() : pins);
  }

  /**
   * KVM_SET_USER_MEMORY_REGION2 without the KVM Userfault gate: the kernel decides. Conformance uses it to
   * observe how a kernel without KVM_CAP_USERFAULT rejects the flag (EINVAL). The caller owns memory
   * lifetimes.
   */
  public void setUserMemoryRegion2Unchecked(MemoryRegion2 region) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment r = a.allocate(KvmUapi.USERSPACE_MEMORY_REGION2); // zeroed: pad words stay 0
      var l = KvmUapi.USERSPACE_MEMORY_REGION2;
      r.set(JAVA_INT, offset(l, "slot"), region.slot());
      r.set(JAVA_INT, offset(l, "flags"), region.flags());
      r.set(JAVA_LONG, offset(l, "guest_phys_addr"), region.guestPhysAddr());
      r.set(JAVA_LONG, offset(l, "memory_size"), region.memorySize());
      r.set(JAVA_LONG, offset(l, "userspace_addr"), region.userspaceAddr());
      r.set(JAVA_LONG, offset(l, "guest_memfd_offset"), region.guestMemfdOffset());
      r.set(JAVA_INT, offset(l, "guest_memfd"), region.guestMemfd());
      r.set(JAVA_LONG, offset(l, "userfault_bitmap"), region.userfaultBitmap());
      Libc.ioctl(fd.get(), KvmUapi.KVM_SET_USER_MEMORY_REGION2, r, "KVM_SET_USER_MEMORY_REGION2", region::toString);
    }
    if (region.memorySize() == 0) repin(region.slot(), List.of());
  }

  private synchronized void repin(int slot, List<Mapping> now) {
    for (Mapping m : now) m.pin();
    List<Mapping> before = pinnedBySlot.remove(slot);
    if (before != null) before.forEach(Mapping::unpin);
    if (!now.isEmpty()) pinnedBySlot.put(slot, List.copyOf(now));
  }

  /**
   * A memslot over the whole of {@code backing}, created with KVM_SET_USER_MEMORY_REGION2 (the only ioctl
   * that can later carry KVM Userfault) and updated through {@link Memslot}'s flags-only calls.
   */
  public Memslot addMemslot(int slot, long guestPhysAddr, Mapping backing) {
    MemoryRegion2 r = MemoryRegion2.of(slot, 0, guestPhysAddr, backing.length(), backing.address());
    setUserMemoryRegion2(r, backing, null);
    return new Memslot(this, r, backing);
  }

  /**
   * A memslot from a prepared region (e.g. one bound to a guest_memfd with {@link MemoryRegion2#withGuestMemfd}),
   * backed by {@code backing} (pinned while the slot exists) and updated through {@link Memslot}'s flags-only calls.
   */
  public Memslot addMemslot(MemoryRegion2 region, Mapping backing) {
    return addMemslot(region, backing, null);
  }

  /** As {@link #addMemslot(MemoryRegion2, Mapping)}, created with {@code bitmap} (null: none) pinned as its userfault bitmap. */
  public Memslot addMemslot(MemoryRegion2 region, Mapping backing, UserfaultBitmap bitmap) {
    setUserMemoryRegion2(region, backing, bitmap);
    return new Memslot(this, region, backing, bitmap);
  }

  /** KVM_CREATE_VCPU and mmap of its kvm_run area. */
  public synchronized Vcpu createVcpu(int id) {
    long rc = Libc.ioctl(fd.get(), KvmUapi.KVM_CREATE_VCPU, id, "KVM_CREATE_VCPU");
    Vcpu v = new Vcpu(id, new OwnedFd((int) rc, "vcpu" + id), vcpuMmapSize);
    vcpus.add(v);
    return v;
  }

  /**
   * KVM_GET_DIRTY_LOG: the slot's dirty bitmap (one bit per page, LSB first), which the kernel also resets
   * (without manual-protect). The slot must have KVM_MEM_LOG_DIRTY_PAGES.
   */
  public long[] getDirtyLog(int slot, long pages) {
    int words = (int) ((pages + 63) / 64);
    try (Arena a = Arena.ofConfined()) {
      MemorySegment bitmap = a.allocate(8L * words, 8);
      MemorySegment arg = a.allocate(KvmUapi.DIRTY_LOG);
      arg.set(JAVA_INT, 0, slot);
      arg.set(JAVA_LONG, 8, bitmap.address());
      Libc.ioctl(fd.get(), KvmUapi.KVM_GET_DIRTY_LOG, arg, "KVM_GET_DIRTY_LOG", () -> "slot=" + slot + ", pages=" + pages);
      return bitmap.toArray(JAVA_LONG);
    }
  }

  /** KVM_GET_STATS_FD on the VM: the binary stats (pages_4k, pages_2m, pages_1g on x86). */
  public KvmStats stats() {
    long rc = Libc.ioctl(fd.get(), KvmUapi.KVM_GET_STATS_FD, 0, "KVM_GET_STATS_FD");
    KvmStats s = KvmStats.open(new OwnedFd((int) rc, "vm stats"));
    synchronized (this) {
      children.add(s);
    }
    return s;
  }

  /** KVM_CREATE_GUEST_MEMFD (KVM_CAP_GUEST_MEMFD) with flags (GuestMemfd.FLAG_MMAP, FLAG_INIT_SHARED). */
  public GuestMemfd createGuestMemfd(long size, long flags) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment arg = a.allocate(KvmUapi.CREATE_GUEST_MEMFD);
      arg.set(JAVA_LONG, 0, size);
      arg.set(JAVA_LONG, 8, flags);
      long rc =
          Libc.ioctl(
              fd.get(), KvmUapi.KVM_CREATE_GUEST_MEMFD, arg, "KVM_CREATE_GUEST_MEMFD", () -> "size=" + size + ", flags=0x" + Long.toHexString(flags));
      GuestMemfd g = new GuestMemfd(new OwnedFd((int) rc, "guest_memfd"), size, flags);
      synchronized (this) {
        children.add(g);
      }
      return g;
    }
  }

  /** KVM_ENABLE_CAP on the VM with up to four arguments. */
  public void enableCap(int cap, long... args) {
    if (args.length > 4) throw new IllegalArgumentException("KVM_ENABLE_CAP takes at most 4 args");
    try (Arena a = Arena.ofConfined()) {
      MemorySegment arg = a.allocate(KvmUapi.ENABLE_CAP);
      arg.set(JAVA_INT, 0, cap);
      for (int i = 0; i < args.length; i++) arg.set(JAVA_LONG, 8 + 8L * i, args[i]);
      Libc.ioctl(fd.get(), KvmUapi.KVM_ENABLE_CAP, arg, "KVM_ENABLE_CAP", () -> "cap=" + cap + ", args=" + java.util.Arrays.toString(args));
    }
  }

  /**
   * Closes vCPUs, stats and guest_memfd handles, then the VM fd, then unpins slot memory and unmaps the
   * Vm's own mappings: memory goes last, so nothing the kernel can still reach is unmapped first.
   */
  @Override
  public synchronized void close() {
    for (Vcpu v : vcpus) v.close();
    for (AutoCloseable c : children) {
      try {
        c.close();
      } catch (Exception ignored) {
        // closing an fd twice or after an error must not hide the rest of the teardown
      }
    }
    fd.close();
    pinnedBySlot.values().forEach(l -> l.forEach(Mapping::unpin));
    pinnedBySlot.clear();
    for (Mapping m : owned) if (m.pinCount() == 0) m.close();
  }
}
