package kvmuf.uapi;

import static kvmuf.uapi.Structs.offset;
import static org.assertj.core.api.Assertions.assertThat;

import kvmuf.kvm.UapiProfile;
import kvmuf.x86.X86Uapi;
import org.junit.jupiter.api.Test;

/** Struct sizes and field offsets the adapter depends on, against the C headers. */
class LayoutsTest {
  @Test
  void memoryRegion2Has160BytesAndTheUserfaultBitmapAt48() {
    var l = KvmUapi.USERSPACE_MEMORY_REGION2;
    assertThat(l.byteSize()).isEqualTo(160);
    assertThat(offset(l, "slot")).isEqualTo(0);
    assertThat(offset(l, "flags")).isEqualTo(4);
    assertThat(offset(l, "guest_phys_addr")).isEqualTo(8);
    assertThat(offset(l, "memory_size")).isEqualTo(16);
    assertThat(offset(l, "userspace_addr")).isEqualTo(24);
    assertThat(offset(l, "guest_memfd_offset")).isEqualTo(32);
    assertThat(offset(l, "guest_memfd")).isEqualTo(40);
    assertThat(offset(l, "pad1")).isEqualTo(44);
    assertThat(offset(l, "userfault_bitmap")).isEqualTo(48).isEqualTo(UapiProfile.USERFAULT_BITMAP_OFFSET);
    assertThat(offset(l, "pad2")).isEqualTo(56);
  }

  @Test
  void smallKvmStructs() {
    assertThat(KvmUapi.USERSPACE_MEMORY_REGION.byteSize()).isEqualTo(32);
    assertThat(KvmUapi.CREATE_GUEST_MEMFD.byteSize()).isEqualTo(64);
    assertThat(KvmUapi.DIRTY_LOG.byteSize()).isEqualTo(16);
    assertThat(KvmUapi.ENABLE_CAP.byteSize()).isEqualTo(104);
    assertThat(X86Uapi.REGS.byteSize()).isEqualTo(144);
    assertThat(offset(X86Uapi.REGS, "rip")).isEqualTo(128);
    assertThat(X86Uapi.SEGMENT.byteSize()).isEqualTo(24);
    assertThat(X86Uapi.DTABLE.byteSize()).isEqualTo(16);
    assertThat(X86Uapi.SREGS.byteSize()).isEqualTo(312);
    assertThat(offset(X86Uapi.SREGS, "cr0")).isEqualTo(224);
    assertThat(offset(X86Uapi.SREGS, "efer")).isEqualTo(264);
    assertThat(KvmUapi.STATS_HEADER.byteSize()).isEqualTo(24);
    assertThat(KvmUapi.STATS_DESC.byteSize()).isEqualTo(16);
  }

  @Test
  void kvmRunExitFields() {
    var r = KvmUapi.RUN;
    assertThat(offset(r, "immediate_exit")).isEqualTo(1);
    assertThat(offset(r, "exit_reason")).isEqualTo(8);
    assertThat(offset(r, "exit")).isEqualTo(32);
    assertThat(r.byteSize()).isEqualTo(32 + 256);
    assertThat(offset(r, "exit", "io", "direction")).isEqualTo(32);
    assertThat(offset(r, "exit", "io", "size")).isEqualTo(33);
    assertThat(offset(r, "exit", "io", "port")).isEqualTo(34);
    assertThat(offset(r, "exit", "io", "count")).isEqualTo(36);
    assertThat(offset(r, "exit", "io", "data_offset")).isEqualTo(40);
    assertThat(offset(r, "exit", "mmio", "phys_addr")).isEqualTo(32);
    assertThat(offset(r, "exit", "mmio", "data")).isEqualTo(40);
    assertThat(offset(r, "exit", "mmio", "len")).isEqualTo(48);
    assertThat(offset(r, "exit", "mmio", "is_write")).isEqualTo(52);
    assertThat(offset(r, "exit", "memory_fault", "flags")).isEqualTo(32);
    assertThat(offset(r, "exit", "memory_fault", "gpa")).isEqualTo(40);
    assertThat(offset(r, "exit", "memory_fault", "size")).isEqualTo(48);
    assertThat(offset(r, "exit", "fail_entry", "cpu")).isEqualTo(40);
    assertThat(offset(r, "exit", "internal", "data")).isEqualTo(40);
  }

  @Test
  void uffdStructs() {
    assertThat(UffdUapi.API.byteSize()).isEqualTo(24);
    assertThat(UffdUapi.RANGE.byteSize()).isEqualTo(16);
    assertThat(UffdUapi.REGISTER.byteSize()).isEqualTo(32);
    assertThat(UffdUapi.COPY.byteSize()).isEqualTo(40);
    assertThat(offset(UffdUapi.COPY, "copy")).isEqualTo(32);
    assertThat(UffdUapi.ZEROPAGE.byteSize()).isEqualTo(32);
    assertThat(UffdUapi.CONTINUE.byteSize()).isEqualTo(32);
    assertThat(UffdUapi.WRITEPROTECT.byteSize()).isEqualTo(24);
    assertThat(UffdUapi.MSG.byteSize()).isEqualTo(32);
    assertThat(offset(UffdUapi.MSG, "arg", "pagefault", "flags")).isEqualTo(8);
    assertThat(offset(UffdUapi.MSG, "arg", "pagefault", "address")).isEqualTo(16);
    assertThat(offset(UffdUapi.MSG, "arg", "pagefault", "ptid")).isEqualTo(24);
  }

  @Test
  void iocEncodingMatchesTheGenericHeader() {
    // _IOWR('x', 1, 8-byte struct): dir 3 << 30 | size 8 << 16 | type << 8 | nr
    var eight = java.lang.foreign.MemoryLayout.structLayout(java.lang.foreign.ValueLayout.JAVA_LONG);
    assertThat(Ioc.iowr('x', 1, eight)).isEqualTo(0xc0087801L);
    assertThat(Ioc.ior('x', 1, eight)).isEqualTo(0x80087801L);
    assertThat(Ioc.iow('x', 1, eight)).isEqualTo(0x40087801L);
    assertThat(Ioc.io('x', 1)).isEqualTo(0x7801L);
  }
}
