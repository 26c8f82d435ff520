package kvmuf.x86.guest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The hand-assembled program: branch targets land where the byte-by-byte listing says (no KVM needed). */
class GuestAgentCodeTest {
  static int target(int jumpAt) {
    return jumpAt + 2 + GuestAgent.CODE[jumpAt + 1]; // rel8 jumps: next instruction + signed displacement
  }

  @Test
  void jumpsLandOnTheListedInstructions() {
    byte[] c = GuestAgent.CODE;
    assertThat(c).hasSize(0x50);
    assertThat(target(0x0F)).as("je read").isEqualTo(0x1E);
    assertThat(c[0x1E] & 0xff).isEqualTo(0x8B); // mov eax, [ebx]
    assertThat(target(0x14)).as("je write").isEqualTo(0x22);
    assertThat(c[0x22] & 0xff).isEqualTo(0x89); // mov [ebx], eax
    assertThat(target(0x19)).as("je touch").isEqualTo(0x2C);
    assertThat(c[0x18]).as("cmp esi, OP_TOUCH").isEqualTo((byte) GuestAgent.OP_TOUCH);
    assertThat(target(0x1B)).as("jmp to the second dispatch").isEqualTo(0x3E);
    assertThat(target(0x20)).as("jmp to report").isEqualTo(0x24);
    assertThat(target(0x2A)).as("loop").isEqualTo(0x00);
    assertThat(c[0x43] & 0xff).isEqualTo(0xF4); // hlt
    assertThat(c[0x29] & 0xff).isEqualTo(0xEF); // out dx, eax
    assertThat(c[0x01] | (c[0x02] << 8)).isEqualTo(GuestAgent.CMD_PORT);
    assertThat(c[0x25] | (c[0x26] << 8)).isEqualTo(GuestAgent.REPORT_PORT);
  }

  @Test
  void kvmReadJumpsLandOnTheListedInstructions() {
    byte[] c = GuestAgent.CODE;
    assertThat(c[0x40]).as("cmp esi, OP_KVM_READ").isEqualTo((byte) GuestAgent.OP_KVM_READ);
    assertThat(target(0x41)).as("je kvm read").isEqualTo(0x46);
    assertThat(target(0x44)).as("jmp after hlt").isEqualTo(0x00);
    assertThat(c[0x46] & 0xff).as("mov esi, ebx").isEqualTo(0x89);
    assertThat(c[0x47] & 0xff).isEqualTo(0xDE);
    assertThat(c[0x49] | (c[0x4A] << 8)).isEqualTo(GuestAgent.REPORT_PORT);
    assertThat(c[0x4D] & 0xff).as("outsd").isEqualTo(0x6F);
    assertThat(target(0x4E)).as("loop").isEqualTo(0x00);
  }

  @Test
  void touchLoopJumpsLandOnTheListedInstructions() {
    byte[] c = GuestAgent.CODE;
    assertThat(c[0x2E] & 0xff).as("in eax, dx: the stride").isEqualTo(0xED);
    assertThat(c[0x35] & 0xff).as("jae").isEqualTo(0x73);
    assertThat(target(0x35)).as("jae report").isEqualTo(0x24);
    assertThat(c[0x37] & 0xff).as("inc dword [ebx]").isEqualTo(0xFF);
    assertThat(c[0x38]).isEqualTo((byte) 0x03);
    assertThat(target(0x3C)).as("jmp to the loop test").isEqualTo(0x33);
  }
}
