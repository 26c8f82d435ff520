package kvmuf.uffd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import kvmuf.sys.Errno;
import kvmuf.sys.Mapping;
import kvmuf.sys.Memfd;
import kvmuf.sys.SyscallException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * userfaultfd for real, without KVM: a thread touching registered memory blocks in the kernel and the
 * test, as the VMM's fault handler, resolves it. Every wait is bounded; closing the fd releases a
 * blocked thread, so a failing test cannot hang the build.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UserfaultfdTest {
  static final long PAGE = 4096;
  static final Duration EVENT_WAIT = Duration.ofSeconds(5);
  static final long BLOCKED_WAIT_MS = 300;

  static long wanted(long... features) {
    long supported = Userfaultfd.supportedFeatures();
    long m = 0;
    for (long f : features) if ((supported & f) != 0) m |= f;
    return m;
  }

  /** Fills a private source page with a pattern and returns the 8-byte value a reader of it sees. */
  static long fillSource(Mapping src, long pattern) {
    for (long off = 0; off < PAGE; off += 8) src.segment().set(ValueLayout.JAVA_LONG, off, pattern);
    return pattern;
  }

  @Test
  void missingFaultIsReportedWithThreadIdAndResolvedByCopy() throws Exception {
    long features = wanted(UffdFeature.THREAD_ID.mask());
    try (Mapping mem = Mapping.anonymous(4 * PAGE, false);
        Mapping src = Mapping.anonymous(PAGE, false)) {
      long expected = fillSource(src, 0x1122334455667788L);
      long page = mem.address() + 2 * PAGE;
      Toucher t;
      try (Userfaultfd uffd = Userfaultfd.open(features)) {
        uffd.register(mem.address(), mem.length(), Userfaultfd.REGISTER_MODE_MISSING);
        t = new Toucher(page + 16);
        UffdEvent.Pagefault pf = (UffdEvent.Pagefault) uffd.readEvent(EVENT_WAIT).orElseThrow();
        assertThat(pf.pageAddress()).isEqualTo(page);
        assertThat(pf.isWrite()).as("a read fault").isFalse();
        assertThat(pf.isMinor()).isFalse();
        if ((features & UffdFeature.THREAD_ID.mask()) != 0) assertThat(pf.threadId()).isEqualTo(t.tid());
        assertThat(t.stillBlockedAfter(BLOCKED_WAIT_MS)).as("toucher blocked until resolved").isTrue();

        assertThat(uffd.copy(page, src.address(), PAGE, false)).isEqualTo(new MfillResult.Done(PAGE));
        assertThat(t.awaitValue()).isEqualTo(expected);
        assertThat(uffd.readEvent(Duration.ofMillis(50))).as("no second fault").isEmpty();
      }
      t.close();
    }
  }

  @Test
  void eexistWakesNobodyAndWakeReleasesTheWaiter() throws Exception {
    try (Mapping mem = Mapping.anonymous(PAGE, false);
        Mapping src = Mapping.anonymous(PAGE, false)) {
      long expected = fillSource(src, 0x0A0B0C0D01020304L);
      Toucher t;
      try (Userfaultfd uffd = Userfaultfd.open(0)) {
        uffd.register(mem.address(), PAGE, Userfaultfd.REGISTER_MODE_MISSING);
        t = new Toucher(mem.address());
        assertThat(uffd.readEvent(EVENT_WAIT)).isPresent();
        // Another resolver installs the page without waking (as a racing handler would) ...
        assertThat(uffd.copy(mem.address(), src.address(), PAGE, true)).isEqualTo(new MfillResult.Done(PAGE));
        // ... so this handler's COPY finds the page present: EEXIST, and the kernel wakes nobody (R2).
        fillSource(src, 0xDEADL);
        assertThat(uffd.copy(mem.address(), src.address(), PAGE, false)).isEqualTo(new MfillResult.Exists());
        assertThat(t.stillBlockedAfter(BLOCKED_WAIT_MS)).as("EEXIST must not wake the waiter").isTrue();
        uffd.wake(mem.address(), PAGE);
        assertThat(t.awaitValue()).as("first copy's contents").isEqualTo(expected);
      }
      t.close();
    }
  }

  @Test
  void dontWakeLeavesTheWaiterAsleepUntilWake() throws Exception {
    try (Mapping mem = Mapping.anonymous(PAGE, false);
        Mapping src = Mapping.anonymous(PAGE, false)) {
      long expected = fillSource(src, 0x5555AAAA5555AAAAL);
      Toucher t;
      try (Userfaultfd uffd = Userfaultfd.open(0)) {
        uffd.register(mem.address(), PAGE, Userfaultfd.REGISTER_MODE_MISSING);
        t = new Toucher(mem.address() + 8);
        assertThat(uffd.readEvent(EVENT_WAIT)).isPresent();
        assertThat(uffd.copy(mem.address(), src.address(), PAGE, true)).isEqualTo(new MfillResult.Done(PAGE));
        // The page is installed (this thread can read it) but the faulting thread still sleeps.
        assertThat(mem.segment().get(ValueLayout.JAVA_LONG, 0)).isEqualTo(expected);
        assertThat(t.stillBlockedAfter(BLOCKED_WAIT_MS)).as("DONTWAKE leaves the waiter asleep").isTrue();
        uffd.wake(mem.address(), PAGE);
        assertThat(t.awaitValue()).isEqualTo(expected);
      }
      t.close();
    }
  }

  @Test
  void zeropageResolvesAMissingFaultWithZeros() throws Exception {
    try (Mapping mem = Mapping.anonymous(PAGE, false)) {
      Toucher t;
      try (Userfaultfd uffd = Userfaultfd.open(0)) {
        uffd.register(mem.address(), PAGE, Userfaultfd.REGISTER_MODE_MISSING);
        t = new Toucher(mem.address());
        assertThat(uffd.readEvent(EVENT_WAIT)).isPresent();
        assertThat(uffd.zeropage(mem.address(), PAGE, false)).isEqualTo(new MfillResult.Done(PAGE));
        assertThat(t.awaitValue()).isZero();
      }
      t.close();
    }
  }

  @Test
  void minorFaultOnShmemIsResolvedByContinue() throws Exception {
    long features = wanted(UffdFeature.MINOR_SHMEM.mask());
    assumeTrue(features != 0, "unsupported: UFFD_FEATURE_MINOR_SHMEM not offered by this kernel");
    try (Memfd memfd = Memfd.create("kvmuf-minor", 4 * PAGE);
        Mapping guestView = memfd.map();
        Mapping vmmView = memfd.map()) {
      // The contents are in the page cache (written through the VMM's view); the guest's view has no PTE.
      vmmView.segment().set(ValueLayout.JAVA_LONG, PAGE, 0x0101010101010101L);
      long page = guestView.address() + PAGE;
      Toucher t;
      try (Userfaultfd uffd = Userfaultfd.open(features)) {
        uffd.register(guestView.address(), guestView.length(), Userfaultfd.REGISTER_MODE_MINOR);
        t = new Toucher(page);
        UffdEvent.Pagefault pf = (UffdEvent.Pagefault) uffd.readEvent(EVENT_WAIT).orElseThrow();
        assertThat(pf.isMinor()).as("MINOR flag").isTrue();
        assertThat(pf.pageAddress()).isEqualTo(page);
        // The VMM updates the contents before mapping them, then maps with CONTINUE.
        vmmView.segment().set(ValueLayout.JAVA_LONG, PAGE, 0x0202020202020202L);
        assertThat(uffd.continueRange(page, PAGE, false)).isEqualTo(new MfillResult.Done(PAGE));
        assertThat(t.awaitValue()).isEqualTo(0x0202020202020202L);
      }
      t.close();
    }
  }

  @Test
  void closingTheFdReleasesABlockedThread() throws Exception {
    try (Mapping mem = Mapping.anonymous(PAGE, false)) {
      Toucher t;
      try (Userfaultfd uffd = Userfaultfd.open(0)) {
        uffd.register(mem.address(), PAGE, Userfaultfd.REGISTER_MODE_MISSING);
        t = new Toucher(mem.address());
        assertThat(uffd.readEvent(EVENT_WAIT)).isPresent();
      }
      // Unregistered by the close: the fault completes with a zero page.
      assertThat(t.awaitValue()).isZero();
      t.close();
    }
  }

  @Test
  void supportedFeaturesAreReportedByName() {
    long supported = Userfaultfd.supportedFeatures();
    assertThat(supported).isNotZero();
    assertThat(UffdFeature.names(supported)).isNotEmpty().allMatch(n -> n.startsWith("UFFD_FEATURE_") || n.startsWith("bit "));
    try (Userfaultfd u = Userfaultfd.open(0)) {
      // The UFFDIO_API answer lists the ioctls available on the fd: REGISTER (0), UNREGISTER (1), API (0x3f).
      assertThat(u.apiIoctls() & (1L << 0x3f)).isNotZero();
      assertThat(u.enabledFeatures()).isZero();
    }
  }

  @Test
  void anUnsupportedFeatureIsRefusedWithANamedError() {
    assertThatThrownBy(() -> Userfaultfd.open(1L << 62))
        .isInstanceOf(SyscallException.class)
        .hasMessageContaining("UFFDIO_API")
        .hasMessageContaining("EINVAL")
        .satisfies(e -> assertThat(((SyscallException) e).is(Errno.EINVAL)).isTrue());
  }

  @Test
  void devUserfaultfdGivesAWorkingFd() throws Exception {
    assumeTrue(Files.exists(Path.of(Userfaultfd.DEVICE)), "unsupported: no /dev/userfaultfd (Linux < 6.1)");
    try (Mapping mem = Mapping.anonymous(PAGE, false);
        Userfaultfd uffd = Userfaultfd.open(Userfaultfd.Source.DEVICE, 0)) {
      assertThat(uffd.register(mem.address(), PAGE, Userfaultfd.REGISTER_MODE_MISSING)).as("ioctls on range").isNotZero();
      uffd.unregister(mem.address(), PAGE);
    }
  }
}
