package kvmuf.uapi;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.util.List;
import java.util.stream.Stream;
import kvmuf.x86.X86Uapi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each request number computed from a struct layout equals the number the C headers produce (checked by
 * hand against the UAPI headers' _IOW/_IOR/_IOWR definitions and struct sizes). The numbers live beside
 * their layouts in {@link KvmUapi}, {@link UffdUapi} and {@link X86Uapi}; every public long of those is one.
 */
class IoctlsTest {
  static final List<Class<?>> HOLDERS = List.of(KvmUapi.class, UffdUapi.class, X86Uapi.class);

  static Stream<Arguments> known() {
    return Stream.of(
        Arguments.of("KVM_GET_API_VERSION", 0xae00L),
        Arguments.of("KVM_CREATE_VM", 0xae01L),
        Arguments.of("KVM_CHECK_EXTENSION", 0xae03L),
        Arguments.of("KVM_GET_VCPU_MMAP_SIZE", 0xae04L),
        Arguments.of("KVM_CREATE_VCPU", 0xae41L),
        Arguments.of("KVM_GET_DIRTY_LOG", 0x4010ae42L),
        Arguments.of("KVM_SET_USER_MEMORY_REGION", 0x4020ae46L),
        Arguments.of("KVM_SET_USER_MEMORY_REGION2", 0x40a0ae49L),
        Arguments.of("KVM_ENABLE_CAP", 0x4068aea3L),
        Arguments.of("KVM_GET_STATS_FD", 0xaeceL),
        Arguments.of("KVM_CREATE_GUEST_MEMFD", 0xc040aed4L),
        Arguments.of("KVM_RUN", 0xae80L),
        Arguments.of("KVM_GET_REGS", 0x8090ae81L),
        Arguments.of("KVM_SET_REGS", 0x4090ae82L),
        Arguments.of("KVM_GET_SREGS", 0x8138ae83L),
        Arguments.of("KVM_SET_SREGS", 0x4138ae84L),
        Arguments.of("USERFAULTFD_IOC_NEW", 0xaa00L),
        Arguments.of("UFFDIO_API", 0xc018aa3fL),
        Arguments.of("UFFDIO_REGISTER", 0xc020aa00L),
        Arguments.of("UFFDIO_UNREGISTER", 0x8010aa01L),
        Arguments.of("UFFDIO_WAKE", 0x8010aa02L),
        Arguments.of("UFFDIO_COPY", 0xc028aa03L),
        Arguments.of("UFFDIO_ZEROPAGE", 0xc020aa04L),
        Arguments.of("UFFDIO_WRITEPROTECT", 0xc018aa06L),
        Arguments.of("UFFDIO_CONTINUE", 0xc020aa07L));
  }

  @ParameterizedTest(name = "{0} = 0x{1}")
  @MethodSource("known")
  void requestNumberMatchesHeaders(String name, long expected) throws Exception {
    List<Field> f = HOLDERS.stream().flatMap(c -> Stream.of(c.getFields())).filter(x -> x.getName().equals(name)).toList();
    assertThat(f).as(name + " declared exactly once").hasSize(1);
    assertThat(f.get(0).getLong(null)).as(name).isEqualTo(expected);
  }

  @Test
  void everyPublicNumberIsCovered() {
    // Every public long of the UAPI holders is a request number and appears in known(): none goes unchecked.
    long listed = known().count();
    long declared =
        HOLDERS.stream().flatMap(c -> Stream.of(c.getFields())).filter(f -> f.getType() == long.class).count();
    assertThat(listed).isEqualTo(declared);
  }
}
