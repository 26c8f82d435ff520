package kvmuf.kvm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import kvmuf.sys.Errno;
import kvmuf.sys.SyscallException;
import org.junit.jupiter.api.Test;

/**
 * KVM_RUN's result rule on a synthetic kvm_run (no kernel needed): EFAULT with exit_reason 39 is a
 * memory-fault exit, a bare EFAULT is an error, EINTR is an exit, and the union fields decode per kind.
 * No upstream kernel this kit runs on produces KVM_EXIT_MEMORY_FAULT for a plain VM, so this is where the
 * rule is checked outside a KVM Userfault kernel.
 */
class ExitDecodingTest {
  final MemorySegment run = Arena.ofAuto().allocate(4096, 8);

  @Test
  void efaultWithMemoryFaultReasonIsAUserfaultExit() {
    run.set(JAVA_INT, 8, 39);
    run.set(JAVA_LONG, 32, UapiProfile.KVM_MEMORY_EXIT_FLAG_USERFAULT);
    run.set(JAVA_LONG, 40, 0x105000);
    run.set(JAVA_LONG, 48, 4096);
    Exit e = Vcpu.interpret(run, -Errno.EFAULT.number(), 0);
    assertThat(e).isEqualTo(new Exit.MemoryFault(16, 0x105000, 4096));
    assertThat(((Exit.MemoryFault) e).isUserfault()).isTrue();
  }

  @Test
  void aBareEfaultIsAnErrorNamingKvmRun() {
    run.set(JAVA_INT, 8, Exit.KVM_EXIT_UNKNOWN);
    assertThatThrownBy(() -> Vcpu.interpret(run, -Errno.EFAULT.number(), 3))
        .isInstanceOf(SyscallException.class)
        .hasMessageContaining("KVM_RUN")
        .hasMessageContaining("EFAULT")
        .hasMessageContaining("vcpu 3");
  }

  @Test
  void eintrIsAnInterruptExit() {
    assertThat(Vcpu.interpret(run, -Errno.EINTR.number(), 0)).isEqualTo(new Exit.Other(Exit.KVM_EXIT_INTR));
  }

  @Test
  void ioAndMmioFieldsDecode() {
    run.set(JAVA_INT, 8, Exit.KVM_EXIT_IO);
    run.set(JAVA_BYTE, 32, (byte) 1); // out
    run.set(JAVA_BYTE, 33, (byte) 4);
    run.set(JAVA_SHORT, 34, (short) 0x511);
    run.set(JAVA_INT, 36, 1);
    run.set(JAVA_LONG, 40, 4096);
    assertThat(Vcpu.interpret(run, 0, 0)).isEqualTo(new Exit.Io(false, 4, 0x511, 1, 4096));

    run.set(JAVA_INT, 8, Exit.KVM_EXIT_MMIO);
    run.set(JAVA_LONG, 32, 0x4000_0010L);
    run.set(JAVA_LONG, 40, 0x77);
    run.set(JAVA_INT, 48, 4);
    run.set(JAVA_BYTE, 52, (byte) 1);
    assertThat(Vcpu.interpret(run, 0, 0)).isEqualTo(new Exit.Mmio(0x4000_0010L, 0x77, 4, true));

    run.set(JAVA_INT, 8, Exit.KVM_EXIT_HLT);
    assertThat(Vcpu.interpret(run, 0, 0)).isEqualTo(new Exit.Hlt());
    run.set(JAVA_INT, 8, 24);
    assertThat(Vcpu.interpret(run, 0, 0)).isEqualTo(new Exit.Other(24));
  }
}
