package kvmuf.guest;

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
    assertThat(c).hasSize(0x27);
    assertThat(target(0x0F)).as("je read").isEqualTo(0x19);
    assertThat(c[0x19] & 0xff).isEqualTo(0x8B); // mov eax, [ebx]
    assertThat(target(0x14)).as("je write").isEqualTo(0x1D);
    assertThat(c[0x1D] & 0xff).isEqualTo(0x89); // mov [ebx], eax
    assertThat(target(0x17)).as("jmp after hlt").isEqualTo(0x00);
    assertThat(target(0x1B)).as("jmp to report").isEqualTo(0x1F);
    assertThat(target(0x25)).as("loop").isEqualTo(0x00);
    assertThat(c[0x16] & 0xff).isEqualTo(0xF4); // hlt
    assertThat(c[0x24] & 0xff).isEqualTo(0xEF); // out dx, eax
    assertThat(c[0x01] | (c[0x02] << 8)).isEqualTo(GuestAgent.CMD_PORT);
    assertThat(c[0x20] | (c[0x21] << 8)).isEqualTo(GuestAgent.REPORT_PORT);
  }
}
