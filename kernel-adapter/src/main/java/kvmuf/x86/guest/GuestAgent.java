package kvmuf.x86.guest;

import java.lang.foreign.ValueLayout;
import kvmuf.kvm.Exit;
import kvmuf.kvm.KvmCap;
import kvmuf.kvm.Vcpu;
import kvmuf.kvm.Vm;
import kvmuf.sys.Mapping;
import kvmuf.x86.Regs;
import kvmuf.x86.Sregs;

/**
 * A tiny guest program that performs one memory access per command, so that a trace step like "vCPU 1
 * reads gfn 5" becomes a real guest load and its outcome (the value, or the KVM exit) is observable; and,
 * for benchmarks, a "touch range" command that touches many pages inside the guest and reports once.
 *
 * <p>The guest runs in flat 32-bit protected mode without paging: gva == gpa for the low 4 GiB. No GDT is
 * needed because KVM_SET_SREGS loads the segment registers' hidden (cached) parts directly and the
 * program never reloads a segment register.
 *
 * <p>Protocol, per command: the guest executes three 32-bit {@code in} from port {@link #CMD_PORT}
 * (op, gpa, value), each a KVM_EXIT_IO that the host answers by writing the data into kvm_run; then it
 * performs the access and reports the value with {@code out} to port {@link #REPORT_PORT}. op 1 reads the
 * 32-bit word at gpa, op 2 writes value there, op 3 ({@link #OP_TOUCH}) touches a range, op 4 ({@link
 * #OP_KVM_READ}) makes KVM read the word itself, anything else halts (KVM_EXIT_HLT).
 *
 * <p>op 4, KVM's own read: the guest executes {@code outsd} with esi = gpa. String port I/O is not done by the
 * CPU on KVM's behalf: KVM's instruction emulator reads the dword at ds:esi from guest memory itself
 * (kvm_read_guest through the memslot's host address, a copy_from_user: no stage-2 fault, so no
 * userfault-bitmap check, and a page missing there sleeps in userfaultfd like any user access), then exits
 * with KVM_EXIT_IO carrying the dword to the report port. So the value reported is what KVM read: the
 * model's {@code KvmAccess}.
 *
 * <p>op 3, touch range: the third word is a count; the guest then reads a fourth word, the stride, from
 * {@link #CMD_PORT}, and executes {@code inc dword [gpa + i*stride]} for i = 0 .. count-1 (a
 * read-modify-write, so each touch is a write fault and leaves a visible +1 per touch), then reports the
 * number of words touched. One command costs four IN exits and one OUT exit however many pages it
 * touches, so a benchmark measures page faults, not command round trips. A KVM exit inside the loop (a
 * memory fault, MMIO) leaves the loop registers (ebx = next gpa, eax = words done, ecx = count, edi =
 * stride) intact: {@link #resume()} re-executes the {@code inc} and the loop goes on.
 *
 * <p>Changes from the first 39-byte version (for readers of older traces of the bytes): offsets 00-15 are
 * unchanged; {@code cmp esi, 3 / je 2C} was inserted at 16, which moved hlt, the read, the write and the
 * report 5 bytes up (their jumps were re-targeted), and the touch loop was appended at 2C. Then, for op 4,
 * the hlt at 1B became a jump to a second dispatch appended at 3E (the stop's hlt moved there). Ops 0 to 3
 * behave exactly as before.
 *
 * <p>The program, byte by byte (offsets from the code gpa):
 *
 * <pre>
 * 00: BA 10 05 00 00   mov edx, 0x510     ; command port
 * 05: ED               in  eax, dx        ; op
 * 06: 89 C6            mov esi, eax
 * 08: ED               in  eax, dx        ; gpa
 * 09: 89 C3            mov ebx, eax
 * 0B: ED               in  eax, dx        ; value (writes) or count (touch)
 * 0C: 83 FE 01         cmp esi, 1
 * 0F: 74 0D            je  1E             ; read
 * 11: 83 FE 02         cmp esi, 2
 * 14: 74 0C            je  22             ; write
 * 16: 83 FE 03         cmp esi, 3
 * 19: 74 11            je  2C             ; touch range
 * 1B: EB 21            jmp 3E             ; op 4, or stop
 * 1D: 90               nop                ; (not reached)
 * 1E: 8B 03            mov eax, [ebx]     ; THE read access
 * 20: EB 02            jmp 24
 * 22: 89 03            mov [ebx], eax     ; THE write access
 * 24: BA 11 05 00 00   mov edx, 0x511     ; report port
 * 29: EF               out dx, eax        ; report the value
 * 2A: EB D4            jmp 00
 * 2C: 89 C1            mov ecx, eax       ; touch: count
 * 2E: ED               in  eax, dx        ; stride (edx is still 0x510)
 * 2F: 89 C7            mov edi, eax
 * 31: 31 C0            xor eax, eax       ; words done
 * 33: 39 C8            cmp eax, ecx
 * 35: 73 ED            jae 24             ; all done: report eax
 * 37: FF 03            inc dword [ebx]    ; THE touch
 * 39: 01 FB            add ebx, edi
 * 3B: 40               inc eax
 * 3C: EB F5            jmp 33
 * 3E: 83 FE 04         cmp esi, 4
 * 41: 74 03            je  46             ; KVM's own read
 * 43: F4               hlt                ; stop
 * 44: EB BA            jmp 00             ; resumed after hlt: next command
 * 46: 89 DE            mov esi, ebx       ; source of the string I/O: the gpa
 * 48: BA 11 05 00 00   mov edx, 0x511     ; report port
 * 4D: 6F               outsd              ; THE KVM read: KVM emulates it, reading [esi] itself
 * 4E: EB B0            jmp 00
 * </pre>
 */
public final class GuestAgent {
  public static final int CMD_PORT = 0x510;
  public static final int REPORT_PORT = 0x511;
  public static final int OP_STOP = 0;
  public static final int OP_READ = 1;
  public static final int OP_WRITE = 2;
  /** Touch range: {@code inc dword} at gpa, gpa+stride, ... (count words), then report count. */
  public static final int OP_TOUCH = 3;
  /** KVM reads the word itself (string port I/O it emulates): see the class comment. */
  public static final int OP_KVM_READ = 4;
  /** Default guest-physical address of the program page (gfn 1, as in the reference diagnostics). */
  public static final long DEFAULT_CODE_GPA = 0x1000;

  static final byte[] CODE = {
    (byte) 0xBA, 0x10, 0x05, 0x00, 0x00,
    (byte) 0xED,
    (byte) 0x89, (byte) 0xC6,
    (byte) 0xED,
    (byte) 0x89, (byte) 0xC3,
    (byte) 0xED,
    (byte) 0x83, (byte) 0xFE, 0x01,
    0x74, 0x0D,
    (byte) 0x83, (byte) 0xFE, 0x02,
    0x74, 0x0C,
    (byte) 0x83, (byte) 0xFE, 0x03,
    0x74, 0x11,
    (byte) 0xEB, 0x21,
    (byte) 0x90,
    (byte) 0x8B, 0x03,
    (byte) 0xEB, 0x02,
    (byte) 0x89, 0x03,
    (byte) 0xBA, 0x11, 0x05, 0x00, 0x00,
    (byte) 0xEF,
    (byte) 0xEB, (byte) 0xD4,
    (byte) 0x89, (byte) 0xC1,
    (byte) 0xED,
    (byte) 0x89, (byte) 0xC7,
    0x31, (byte) 0xC0,
    0x39, (byte) 0xC8,
    0x73, (byte) 0xED,
    (byte) 0xFF, 0x03,
    0x01, (byte) 0xFB,
    0x40,
    (byte) 0xEB, (byte) 0xF5,
    (byte) 0x83, (byte) 0xFE, 0x04,
    0x74, 0x03,
    (byte) 0xF4,
    (byte) 0xEB, (byte) 0xBA,
    (byte) 0x89, (byte) 0xDE,
    (byte) 0xBA, 0x11, 0x05, 0x00, 0x00,
    0x6F,
    (byte) 0xEB, (byte) 0xB0,
  };

  /** The program loaded into a VM: one code page in its own memslot, shared by every vCPU's agent. */
  public record Program(Vm vm, int slot, long codeGpa) {
    /** Points a vCPU at the program in flat protected mode and runs it to its first command. */
    public GuestAgent start(Vcpu vcpu) {
      return new GuestAgent(this, vcpu);
    }
  }

  private enum State {
    AT_COMMAND,
    IN_ACCESS,
    STOPPED
  }

  private final Program program;
  private final Vcpu vcpu;
  private State state;
  private Exit.Io pendingIn;

  /**
   * Copies the program into a page owned by the Vm and maps it at {@code codeGpa} in memslot {@code slot}.
   * The page is read-only for the program's purposes but mapped writable (KVM_MEM_READONLY would turn
   * instruction fetches into nothing worse, but is not needed).
   */
  public static Program load(Vm vm, int slot, long codeGpa) {
    Mapping page = vm.mapAnonymous(4096, false);
    page.segment().copyFrom(java.lang.foreign.MemorySegment.ofArray(CODE));
    vm.setUserMemoryRegion(slot, 0, codeGpa, page);
    return new Program(vm, slot, codeGpa);
  }

  /**
   * The slot the agent uses by default: the highest id the kernel allows (KVM_CAP_NR_MEMSLOTS - 1), out of
   * the way of the low slot numbers traces use.
   */
  public static int defaultSlot(Vm vm) {
    int n = vm.checkExtension(KvmCap.NR_MEMSLOTS);
    return Math.max(1, Math.min(n, 0x7fff)) - 1;
  }

  /** Loads the program at the default slot and gpa and starts it on {@code vcpu}. */
  public static GuestAgent install(Vm vm, Vcpu vcpu) {
    return load(vm, defaultSlot(vm), DEFAULT_CODE_GPA).start(vcpu);
  }

  private GuestAgent(Program program, Vcpu vcpu) {
    this.program = program;
    this.vcpu = vcpu;
    Sregs s = vcpu.getSregs();
    s.cr0(s.cr0() | 1); // CR0.PE: protected mode; CR0.PG stays 0: no paging
    // Flat 4 GiB segments: base 0, limit 0xffffffff with 4 KiB granularity, 32-bit default operand size.
    s.setSegment(Sregs.SegReg.CS, new Sregs.Segment(0, 0xffffffff, 8, 11, true, 0, true, true, false, true)); // exec/read, accessed
    Sregs.Segment data = new Sregs.Segment(0, 0xffffffff, 16, 3, true, 0, true, true, false, true); // read/write, accessed
    for (Sregs.SegReg r : new Sregs.SegReg[] {Sregs.SegReg.DS, Sregs.SegReg.ES, Sregs.SegReg.SS, Sregs.SegReg.FS, Sregs.SegReg.GS}) {
      s.setSegment(r, data);
    }
    vcpu.setSregs(s);
    Regs regs = new Regs(); // all general registers zero
    regs.set(Regs.Reg.RIP, program.codeGpa()).set(Regs.Reg.RFLAGS, 2); // bit 1 of EFLAGS is reserved, always 1
    vcpu.setRegs(regs);
    expectCommand(vcpu.run(), "start");
  }

  public Vcpu vcpu() {
    return vcpu;
  }

  public Program program() {
    return program;
  }

  /** The guest loads the 32-bit word at {@code gpa}. */
  public AgentResult read(long gpa) {
    return access(OP_READ, gpa, 0);
  }

  /**
   * KVM itself reads the 32-bit word at {@code gpa} on this vCPU's behalf (it emulates the guest's {@code
   * outsd} from there): no stage-2 fault, so no KVM Userfault bitmap check; a missing page sleeps in
   * userfaultfd. The value reported is what KVM read.
   */
  public AgentResult kvmRead(long gpa) {
    return access(OP_KVM_READ, gpa, 0);
  }

  /** The guest stores {@code value} at {@code gpa}. */
  public AgentResult write(long gpa, int value) {
    return access(OP_WRITE, gpa, value);
  }

  /**
   * The guest executes {@code inc dword [gpa + i*stride]} for i = 0 .. count-1 inside one command and
   * reports the number of words it touched ({@link AgentResult.Value} of {@code count} when all went
   * well). An exit inside the loop (a KVM Userfault memory fault, MMIO) comes back as
   * {@link AgentResult.Interrupted}; {@link #resume()} continues the loop where it stopped. Faults that
   * userfaultfd resolves never leave KVM_RUN: the vCPU thread just blocks in it until the page is there.
   */
  public AgentResult touchRange(long gpa, int count, int stride) {
    requireState(State.AT_COMMAND);
    if (count < 0 || stride <= 0 || (stride & 3) != 0) {
      throw new IllegalArgumentException("touchRange needs count >= 0 and a positive stride that is a multiple of 4");
    }
    long last = gpa + (count == 0 ? 0 : (long) (count - 1) * stride);
    if (gpa < 0 || (gpa & 3) != 0 || last > 0xffff_fffcL) {
      throw new IllegalArgumentException(
          "the agent touches aligned 32-bit words below 4 GiB; gpa=0x" + Long.toHexString(gpa) + ", last=0x" + Long.toHexString(last));
    }
    feed(OP_TOUCH);
    feed((int) gpa);
    feed(count); // the guest answers with its fourth IN: the stride
    state = State.IN_ACCESS;
    return afterAccess(answer(stride));
  }

  /**
   * Re-enters the guest after an {@link AgentResult.Interrupted} access: the access instruction runs again
   * (after a memory fault, once userspace has resolved it; after an MMIO read, with the data set by
   * Vcpu#setMmioReadData).
   */
  public AgentResult resume() {
    if (state != State.IN_ACCESS) throw new IllegalStateException("no interrupted access to resume (state " + state + ")");
    return afterAccess(vcpu.run());
  }

  /**
   * Gives up an {@link AgentResult.Interrupted} access instead of retrying it: the vCPU restarts the agent
   * program from its first instruction (registers as at start) and runs to its next command. A VMM that
   * resolved an exit but lets the guest go elsewhere does the same to its vCPU state; the faulting
   * instruction never runs again.
   */
  public void abandon() {
    if (state != State.IN_ACCESS) throw new IllegalStateException("no interrupted access to abandon (state " + state + ")");
    Regs regs = new Regs();
    regs.set(Regs.Reg.RIP, program.codeGpa()).set(Regs.Reg.RFLAGS, 2);
    vcpu.setRegs(regs);
    expectCommand(vcpu.run(), "restart");
  }

  /** Sends the stop command; returns the exit (KVM_EXIT_HLT when all is well). */
  public Exit stop() {
    requireState(State.AT_COMMAND);
    feed(OP_STOP);
    feed(0);
    Exit e = answer(0);
    state = State.STOPPED;
    return e;
  }

  private AgentResult access(int op, long gpa, int value) {
    requireState(State.AT_COMMAND);
    if (gpa < 0 || gpa > 0xffff_fffcL || (gpa & 3) != 0) {
      throw new IllegalArgumentException("the agent accesses aligned 32-bit words below 4 GiB; gpa=0x" + Long.toHexString(gpa));
    }
    feed(op);
    feed((int) gpa);
    state = State.IN_ACCESS;
    return afterAccess(answer(value));
  }

  private AgentResult afterAccess(Exit e) {
    if (e instanceof Exit.Io io && !io.in() && io.port() == REPORT_PORT && io.size() == 4) {
      int v = vcpu.ioData(io).get(ValueLayout.JAVA_INT_UNALIGNED, 0);
      // Complete the OUT and run to the next command, which performs no memory access.
      expectCommand(vcpu.run(), "after report");
      return new AgentResult.Value(v);
    }
    return new AgentResult.Interrupted(e);
  }

  /** Answers the pending IN with {@code v} and expects the next IN of the same command. */
  private void feed(int v) {
    expectCommand(answer(v), "command");
  }

  private Exit answer(int v) {
    vcpu.ioData(pendingIn).set(ValueLayout.JAVA_INT_UNALIGNED, 0, v);
    pendingIn = null;
    return vcpu.run();
  }

  private void expectCommand(Exit e, String when) {
    if (e instanceof Exit.Io io && io.in() && io.port() == CMD_PORT && io.size() == 4) {
      pendingIn = io;
      state = State.AT_COMMAND;
      return;
    }
    throw new IllegalStateException("guest agent: expected IN from port 0x510 (" + when + "), got " + e);
  }

  private void requireState(State s) {
    if (state != s) throw new IllegalStateException("guest agent is " + state + ", needs " + s);
  }
}
