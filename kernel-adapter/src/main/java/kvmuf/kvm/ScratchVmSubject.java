package kvmuf.kvm;

import kvmuf.sys.SyscallException;

/**
 * {@link UserfaultEvidence.Subject} on a real /dev/kvm: each try creates a fresh VM (the default type) with
 * one 4-page slot of anonymous memory and KVM_MEM_USERFAULT, then closes it. Nothing runs in the VM; the
 * kernel is only asked whether it takes the slot.
 */
final class ScratchVmSubject implements UserfaultEvidence.Subject {
  private static final long PAGES = 4;
  private final Kvm kvm;

  ScratchVmSubject(Kvm kvm) {
    this.kvm = kvm;
  }

  @Override
  public int checkExtension(int cap) {
    return kvm.checkExtension(cap);
  }

  @Override
  public int createUserfaultSlot(boolean validBitmap) {
    // The bitmap outlives the VM (closed after it): a kernel that accepted it may read it until the VM goes.
    try (UserfaultBitmap bitmap = new UserfaultBitmap(PAGES);
        Vm vm = kvm.createVm(0, UapiProfile.UPSTREAM)) {
      var backing = vm.mapAnonymous(PAGES * 4096, false);
      MemoryRegion2 r = MemoryRegion2.of(0, UapiProfile.KVM_MEM_USERFAULT, 0, backing.length(), backing.address())
          .withUserfaultBitmap(validBitmap ? bitmap.address() : UserfaultEvidence.BAD_BITMAP);
      vm.setUserMemoryRegion2Unchecked(r);
      return 0;
    } catch (SyscallException e) {
      return e.errno();
    }
  }
}
