package kvmuf.conform.rules;

import java.util.List;
import kvmuf.conform.ApiCall;
import kvmuf.conform.Rule;
import kvmuf.conform.ScriptedRule;
import kvmuf.conform.TargetSetup;
import kvmuf.model.Action;
import kvmuf.model.Config.SlotKind;
import kvmuf.model.Config.UffdMode;
import kvmuf.model.Observation;
import kvmuf.model.ValueClass;

/**
 * KVM Userfault with a userfault_bitmap at an odd address: no revision asks for alignment (access_ok and x86's
 * __get_user take any address), so the ioctl accepts it and the kernel reads the bitmap from exactly that address:
 * with only bit 0 of the pointer's first byte set, gfn 0 exits with USERFAULT and gfn 8 reads. A kernel that
 * rounded the pointer down to its long would see gfn 8 marked instead.
 */
public final class UserfaultUnalignedBitmap {
  public static final Rule RULE = ScriptedRule.uapi(
      "userfault-unaligned-bitmap",
      "with KVM_CAP_USERFAULT, a bitmap at an odd address is accepted and read from exactly that address",
      TargetSetup.of(SlotKind.ANON, UffdMode.NONE),
      run -> {
        run.requireUserfaultProfile();
        try (BitmapMemory m = BitmapMemory.unaligned((byte) 1)) {
          run.expectUapi(new ApiCall.EnableUserfaultAt(m.pointer()), new Observation.Ioctl("ok"));
          run.expectUapi(new Action.Access(0, 8), new Observation.Read(ValueClass.ZERO));
          run.expectUapi(new Action.Access(0, 0), new Observation.MemoryFaultExit(0, Observation.PAGE_SIZE, List.of("USERFAULT")));
        }
      });

  private UserfaultUnalignedBitmap() {}
}
