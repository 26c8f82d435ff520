package kvmuf.kvm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;
import kvmuf.gmem.GuestMemfd;
import kvmuf.sys.Libc;
import kvmuf.sys.SyscallException;
import kvmuf.uffd.UffdFeature;
import kvmuf.uffd.Userfaultfd;

/**
 * What the running kernel offers the kit, probed without side effects: kernel release, THP mode,
 * userfaultfd (syscall, /dev/userfaultfd, features), and KVM (API version, the capabilities that matter,
 * which KVM_CAP_USERFAULT number if any, and the UAPI profile that implies). Absence is described, never
 * an exception: {@code kvm.present() == false} carries the reason.
 */
public record Capabilities(Kernel kernel, String thpMode, UffdInfo userfaultfd, KvmInfo kvm) {

  /** uname(2). */
  public record Kernel(String sysname, String release, String version, String machine) {}

  /** userfaultfd availability; {@code features} is the set UFFDIO_API reports as supported. */
  public record UffdInfo(
      boolean available, String reason, boolean syscall, boolean device, long features, List<String> featureNames) {}

  /** One capability's answer to KVM_CHECK_EXTENSION on the system fd. */
  public record Cap(String name, int number, int value) {}

  /**
   * KVM: present or not (with the reason). {@code userfault} is what a scratch VM showed about KVM Userfault
   * ({@link UserfaultEvidence}); {@code profile} follows from it, {@code userfaultCap} is the capability number
   * taken as KVM_CAP_USERFAULT (evidence only) and {@code userfaultCandidates} the answers of the known
   * numbers. {@code userfault} is null when KVM is absent.
   */
  public record KvmInfo(
      boolean present,
      String reason,
      int apiVersion,
      int vcpuMmapSize,
      List<Cap> capabilities,
      OptionalInt userfaultCap,
      Map<Integer, Integer> userfaultCandidates,
      UapiProfile profile,
      List<String> guestMemfdFlags,
      UserfaultEvidence userfault,
      String note) {}

  /** The capabilities listed by a probe (the KVM Userfault numbers are reported separately, as evidence). */
  static final List<KvmCap> REPORTED =
      List.of(
          KvmCap.USER_MEMORY,
          KvmCap.NR_MEMSLOTS,
          KvmCap.READONLY_MEM,
          KvmCap.SYNC_MMU,
          KvmCap.MANUAL_DIRTY_LOG_PROTECT2,
          KvmCap.DIRTY_LOG_RING,
          KvmCap.BINARY_STATS_FD,
          KvmCap.USER_MEMORY2,
          KvmCap.MEMORY_FAULT_INFO,
          KvmCap.MEMORY_ATTRIBUTES,
          KvmCap.GUEST_MEMFD,
          KvmCap.VM_TYPES,
          KvmCap.PRE_FAULT_MEMORY,
          KvmCap.GUEST_MEMFD_FLAGS);

  public static Capabilities probe() {
    return probe(OptionalInt.empty());
  }

  /** As {@link #probe()}, also asking {@code userfaultCap} (--userfault-cap) and taking it as KVM_CAP_USERFAULT. */
  public static Capabilities probe(OptionalInt userfaultCap) {
    String[] u = Libc.uname();
    Kernel kernel = new Kernel(u[0], u[2], u[3], u[4]);
    return new Capabilities(kernel, readThpMode(), probeUffd(), probeKvm(userfaultCap));
  }

  /** The selected word of /sys/kernel/mm/transparent_hugepage/enabled ("always", "madvise", "never"). */
  public static String readThpMode() {
    try {
      String s = Files.readString(Path.of("/sys/kernel/mm/transparent_hugepage/enabled"));
      int a = s.indexOf('['), b = s.indexOf(']');
      return a >= 0 && b > a ? s.substring(a + 1, b) : s.strip();
    } catch (IOException e) {
      return "unavailable";
    }
  }

  static UffdInfo probeUffd() {
    boolean syscall = false, device = false;
    long features = 0;
    List<String> reasons = new ArrayList<>();
    try (Userfaultfd u = Userfaultfd.open(Userfaultfd.Source.SYSCALL, 0)) {
      syscall = true;
      features = u.kernelFeatures();
    } catch (SyscallException e) {
      reasons.add(e.getMessage());
    }
    if (Files.exists(Path.of(Userfaultfd.DEVICE))) {
      try (Userfaultfd u = Userfaultfd.open(Userfaultfd.Source.DEVICE, 0)) {
        device = true;
        features = u.kernelFeatures();
      } catch (SyscallException e) {
        reasons.add(e.getMessage());
      }
    } else {
      reasons.add("no " + Userfaultfd.DEVICE);
    }
    boolean ok = syscall || device;
    return new UffdInfo(ok, ok ? "" : String.join("; ", reasons), syscall, device, features, UffdFeature.names(features));
  }

  static KvmInfo probeKvm(OptionalInt userfaultCap) {
    Kvm kvm;
    try {
      kvm = Kvm.open();
    } catch (UnsupportedFeatureException e) {
      return new KvmInfo(
          false, e.getMessage(), 0, 0, List.of(), OptionalInt.empty(), Map.of(), UapiProfile.UPSTREAM, List.of(), null, "");
    }
    try (kvm) {
      List<Cap> caps = new ArrayList<>();
      for (KvmCap c : REPORTED) caps.add(new Cap(c.cName(), c.number(), kvm.checkExtension(c)));
      UserfaultEvidence uf = UserfaultEvidence.probe(kvm, userfaultCap);
      Map<Integer, Integer> candidates = new TreeMap<>(uf.capabilityAnswers());
      String note =
          "KVM Userfault is detected by behaviour; the capability numbers that answered are evidence, not proof"
              + " (236, 239, 240, 241, 243, 245 and 252 have each meant KVM Userfault in some tree, and most of"
              + " them name other capabilities upstream)";
      int gmemFlags = kvm.checkExtension(KvmCap.GUEST_MEMFD_FLAGS);
      List<String> gmemNames = new ArrayList<>();
      if ((gmemFlags & GuestMemfd.FLAG_MMAP) != 0) gmemNames.add("GUEST_MEMFD_FLAG_MMAP");
      if ((gmemFlags & GuestMemfd.FLAG_INIT_SHARED) != 0) gmemNames.add("GUEST_MEMFD_FLAG_INIT_SHARED");
      return new KvmInfo(
          true, "", kvm.apiVersion(), kvm.vcpuMmapSize(), caps, uf.capability(), candidates, uf.profile(), gmemNames,
          uf, note);
    }
  }
}
