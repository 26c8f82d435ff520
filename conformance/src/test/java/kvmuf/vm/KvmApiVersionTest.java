package kvmuf.vm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The smallest real KVM test: proves that tests tagged "kvm" run where a /dev/kvm exists (inside
 * the VM, on a KVM host) and skip visibly elsewhere. The kernel adapter's own tests do the real
 * work; this one keeps 'kvmuf vm test' honest while they are on another branch.
 */
@Tag("kvm")
class KvmApiVersionTest {
  /** _IO(KVMIO=0xAE, 0x00): the one ioctl every KVM since 2.6.22 answers with 12. */
  static final long KVM_GET_API_VERSION = 0xAE00;
  static final int O_RDWR = 2;
  static final int O_CLOEXEC = 02000000;

  @Test
  void devKvmAnswersApiVersion12() throws Throwable {
    Path kvm = Path.of("/dev/kvm");
    assumeTrue(Files.exists(kvm), "no /dev/kvm on this machine: KVM test skipped");
    assumeTrue(Files.isReadable(kvm) && Files.isWritable(kvm), "/dev/kvm not accessible to this user: KVM test skipped");
    Linker linker = Linker.nativeLinker();
    var libc = linker.defaultLookup();
    MethodHandle open = linker.downcallHandle(libc.find("open").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
        Linker.Option.firstVariadicArg(2));
    // ioctl is variadic: the request is the last fixed argument, then one variadic 0, as the KVM
    // API documentation writes ioctl(fd, KVM_GET_API_VERSION, 0). (Declaring no variadic argument
    // at all made this call return -1 on JDK 25.)
    MethodHandle ioctl = linker.downcallHandle(libc.find("ioctl").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
        Linker.Option.firstVariadicArg(2));
    MethodHandle close = linker.downcallHandle(libc.find("close").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment path = arena.allocateFrom("/dev/kvm");
      int fd = (int) open.invokeExact(path, O_RDWR | O_CLOEXEC);
      assertThat(fd).as("open(/dev/kvm, O_RDWR)").isGreaterThanOrEqualTo(0);
      try {
        int version = (int) ioctl.invokeExact(fd, KVM_GET_API_VERSION, 0L);
        assertThat(version).as("KVM_GET_API_VERSION").isEqualTo(12);
      } finally {
        int ignored = (int) close.invokeExact(fd);
      }
    }
  }
}
