package kvmuf.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.ValueLayout;
import kvmuf.kvm.Exit;
import kvmuf.kvm.Kvm;
import kvmuf.kvm.KvmTestSupport;
import kvmuf.kvm.Vcpu;
import kvmuf.kvm.Vm;
import kvmuf.sys.Mapping;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The guest agent on a real vCPU: guest loads and stores, MMIO exits, stop. */
@Tag("kvm")
@Timeout(60)
class GuestAgentTest {
  static final long BASE = 0x100000;

  @Test
  void guestReadsWhatTheHostWroteAndTheHostSeesWhatTheGuestWrote() {
    try (Kvm kvm = KvmTestSupport.openKvmOrSkip();
        Vm vm = kvm.createVm()) {
      Vcpu vcpu = vm.createVcpu(0);
      GuestAgent agent = GuestAgent.install(vm, vcpu);
      Mapping mem = vm.mapAnonymous(16 * 4096, false);
      vm.setUserMemoryRegion(0, 0, BASE, mem);
      mem.segment().set(ValueLayout.JAVA_INT, 0x3004, 0xCAFEBABE);

      assertThat(agent.read(BASE + 0x3004)).isEqualTo(new AgentResult.Value(0xCAFEBABE));
      assertThat(agent.write(BASE + 0x5008, 0x12345678)).isEqualTo(new AgentResult.Value(0x12345678));
      assertThat(mem.segment().get(ValueLayout.JAVA_INT, 0x5008)).isEqualTo(0x12345678);
      assertThat(agent.read(BASE + 0x5008)).isEqualTo(new AgentResult.Value(0x12345678));
      assertThat(agent.read(BASE + 0x6000)).as("untouched memory reads zero").isEqualTo(new AgentResult.Value(0));
      assertThat(agent.stop()).isEqualTo(new Exit.Hlt());
    }
  }

  @Test
  void anAccessOutsideAllMemslotsIsAnMmioExitWithThatGpa() {
    try (Kvm kvm = KvmTestSupport.openKvmOrSkip();
        Vm vm = kvm.createVm()) {
      Vcpu vcpu = vm.createVcpu(0);
      GuestAgent agent = GuestAgent.install(vm, vcpu);
      long hole = 0x4000_0000L;

      AgentResult r = agent.read(hole + 0x24);
      assertThat(r).isInstanceOf(AgentResult.Interrupted.class);
      Exit.Mmio mmio = (Exit.Mmio) ((AgentResult.Interrupted) r).exit();
      assertThat(mmio.gpa()).isEqualTo(hole + 0x24);
      assertThat(mmio.len()).isEqualTo(4);
      assertThat(mmio.isWrite()).isFalse();
      // The VMM answers the MMIO read; the guest's load completes with that value.
      vcpu.setMmioReadData(0xABCD);
      assertThat(agent.resume()).isEqualTo(new AgentResult.Value(0xABCD));

      AgentResult w = agent.write(hole + 0x10, 0x77);
      Exit.Mmio store = (Exit.Mmio) ((AgentResult.Interrupted) w).exit();
      assertThat(store.isWrite()).isTrue();
      assertThat(store.gpa()).isEqualTo(hole + 0x10);
      assertThat(store.data() & 0xffffffffL).isEqualTo(0x77);
      assertThat(agent.resume()).isEqualTo(new AgentResult.Value(0x77));
    }
  }

  @Test
  void commandsOutOfOrderAreRefused() {
    try (Kvm kvm = KvmTestSupport.openKvmOrSkip();
        Vm vm = kvm.createVm()) {
      GuestAgent agent = GuestAgent.install(vm, vm.createVcpu(0));
      assertThatThrownBy(agent::resume).isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(() -> agent.read(0x1_0000_0000L)).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
