package kvmuf.x86.guest;

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

  @Test
  void touchRangeIncrementsOneWordPerPageAndReportsTheCount() {
    try (Kvm kvm = KvmTestSupport.openKvmOrSkip();
        Vm vm = kvm.createVm()) {
      GuestAgent agent = GuestAgent.install(vm, vm.createVcpu(0));
      Mapping mem = vm.mapAnonymous(16 * 4096, false);
      vm.setUserMemoryRegion(0, 0, BASE, mem);
      mem.segment().set(ValueLayout.JAVA_INT, 2 * 4096, 41);

      assertThat(agent.touchRange(BASE, 16, 4096)).isEqualTo(new AgentResult.Value(16));
      for (int p = 0; p < 16; p++) {
        assertThat(mem.segment().get(ValueLayout.JAVA_INT, p * 4096L)).as("page %d touched once", p).isEqualTo(p == 2 ? 42 : 1);
        assertThat(mem.segment().get(ValueLayout.JAVA_INT, p * 4096L + 4)).as("only the first word").isZero();
      }
      assertThat(agent.touchRange(BASE + 4, 0, 4096)).as("count 0 touches nothing").isEqualTo(new AgentResult.Value(0));
      assertThat(agent.touchRange(BASE + 8, 3, 8)).isEqualTo(new AgentResult.Value(3));
      assertThat(mem.segment().get(ValueLayout.JAVA_INT, 16)).isEqualTo(1);
      // The single-access commands still work after a touch command.
      assertThat(agent.read(BASE + 2 * 4096)).isEqualTo(new AgentResult.Value(42));
      assertThat(agent.write(BASE + 4, 7)).isEqualTo(new AgentResult.Value(7));
      assertThat(agent.stop()).isEqualTo(new Exit.Hlt());
    }
  }

  @Test
  void anExitInsideTheTouchLoopIsResumable() {
    try (Kvm kvm = KvmTestSupport.openKvmOrSkip();
        Vm vm = kvm.createVm()) {
      Vcpu vcpu = vm.createVcpu(0);
      GuestAgent agent = GuestAgent.install(vm, vcpu);
      Mapping mem = vm.mapAnonymous(2 * 4096, false);
      vm.setUserMemoryRegion(0, 0, BASE, mem);
      // Pages 0 and 1 are memory; page 2 is a hole: its inc is an MMIO read, then an MMIO write.
      AgentResult r = agent.touchRange(BASE, 3, 4096);
      Exit.Mmio read = (Exit.Mmio) ((AgentResult.Interrupted) r).exit();
      assertThat(read.gpa()).isEqualTo(BASE + 2 * 4096);
      assertThat(read.isWrite()).isFalse();
      vcpu.setMmioReadData(9);
      Exit.Mmio write = (Exit.Mmio) ((AgentResult.Interrupted) agent.resume()).exit();
      assertThat(write.isWrite()).isTrue();
      assertThat(write.data() & 0xffffffffL).isEqualTo(10);
      assertThat(agent.resume()).isEqualTo(new AgentResult.Value(3));
      assertThat(mem.segment().get(ValueLayout.JAVA_INT, 0)).isEqualTo(1);
      assertThat(mem.segment().get(ValueLayout.JAVA_INT, 4096)).isEqualTo(1);
    }
  }

  @Test
  void touchRangeRefusesRangesTheAgentCannotAddress() {
    try (Kvm kvm = KvmTestSupport.openKvmOrSkip();
        Vm vm = kvm.createVm()) {
      GuestAgent agent = GuestAgent.install(vm, vm.createVcpu(0));
      assertThatThrownBy(() -> agent.touchRange(0xffff_f000L, 2, 4096)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> agent.touchRange(BASE, 1, 6)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> agent.touchRange(BASE + 2, 1, 4096)).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
