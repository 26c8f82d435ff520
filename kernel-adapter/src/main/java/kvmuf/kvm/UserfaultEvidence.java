package kvmuf.kvm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import kvmuf.sys.Errno;

/**
 * What a kernel showed about KVM Userfault when tried on a scratch VM (facts file section 1, "Deployed
 * copies": the capability number proves nothing, since 236, 239, 240, 241, 243 and 245 have all meant KVM
 * Userfault in some tree and most now mean something else upstream). The profile follows from behaviour:
 *
 * <ul>
 *   <li>{@code KVM_MEM_USERFAULT} with a valid bitmap rejected at KVM_SET_USER_MEMORY_REGION2: upstream.
 *   <li>accepted, and a bitmap pointer that fails {@code access_ok()} also accepted (checked only at fault
 *       time): uf-v1.
 *   <li>accepted, bad pointer rejected at the ioctl: v2 or later. v2 and v3 behave alike here, so the
 *       capability answers break the tie: a v2-family number (239, 240, 241, 245) answering means uf-v2,
 *       anything else uf-v3.
 * </ul>
 *
 * <p>The KVM_CHECK_EXTENSION answers of the known numbers (and of a {@code --userfault-cap} number) are
 * kept as evidence; {@link #capability()} is the number taken as KVM_CAP_USERFAULT, for reports only.
 */
public record UserfaultEvidence(
    boolean flagAccepted,
    String flagResult,
    Optional<Boolean> badBitmapRejectedAtIoctl,
    String badBitmapResult,
    Map<Integer, Integer> capabilityAnswers,
    OptionalInt capability,
    String capabilitySource,
    UapiProfile profile) {

  /**
   * The numbers KVM Userfault has had: 236 (RFC), 239 (v1/v2), 240 (Sean's rework), 241 (Firecracker's older
   * v2 copy), 243 (v3), 245 (Firecracker's 6.18 copy), 252 (our 7.3 reference kernel, kernel-reference/).
   */
  public static final List<Integer> KNOWN_NUMBERS = List.of(236, 239, 240, 241, 243, 245, 252);
  /** The order in which answering numbers are taken as KVM_CAP_USERFAULT: 236 last (PRE_FAULT_MEMORY on x86). */
  static final List<Integer> PREFERENCE = List.of(252, 245, 243, 241, 240, 239, 236);
  static final List<Integer> V2_FAMILY = List.of(239, 240, 241, 245);
  /** A bitmap pointer no user range contains (non-canonical on x86-64): access_ok() fails on it. */
  public static final long BAD_BITMAP = 0x8000_0000_0000_0000L;

  /** What the scratch probe does to a kernel; {@link ScratchVmSubject} on /dev/kvm, a double in tests. */
  public interface Subject {
    /** KVM_CHECK_EXTENSION on the system fd. */
    int checkExtension(int cap);

    /**
     * Creates a memslot with KVM_MEM_USERFAULT on a fresh scratch VM, with a valid bitmap ({@code
     * validBitmap}) or with {@link #BAD_BITMAP}: 0 if KVM_SET_USER_MEMORY_REGION2 succeeded, else its errno.
     */
    int createUserfaultSlot(boolean validBitmap);
  }

  /** Probes /dev/kvm (the caller's open fd) with a scratch VM; {@code capOverride} is --userfault-cap. */
  public static UserfaultEvidence probe(Kvm kvm, OptionalInt capOverride) {
    return detect(new ScratchVmSubject(kvm), capOverride);
  }

  private static volatile UserfaultEvidence ofThisKernel;
  private static volatile OptionalInt processCapability = OptionalInt.empty();

  /**
   * {@code --userfault-cap N} for this whole process (as {@code --profile} is for the UAPI): {@link
   * #ofThisKernel} and {@link UapiProfile#detect} also ask N and take it as KVM_CAP_USERFAULT. Forgets an
   * earlier probe, which may have been made without it.
   */
  public static void useCapability(OptionalInt cap) {
    processCapability = cap;
    ofThisKernel = null;
  }

  /** The number named with {@link #useCapability}, if any. */
  public static OptionalInt namedCapability() {
    return processCapability;
  }

  /** {@link #probe} of this process's kernel, done once (the kernel does not change under a process). */
  public static UserfaultEvidence ofThisKernel() {
    UserfaultEvidence e = ofThisKernel;
    if (e == null) {
      try (Kvm kvm = Kvm.open()) {
        e = probe(kvm, processCapability);
      }
      ofThisKernel = e;
    }
    return e;
  }

  public static UserfaultEvidence detect(Subject kernel, OptionalInt capOverride) {
    Map<Integer, Integer> answers = new LinkedHashMap<>();
    for (int n : KNOWN_NUMBERS) answers.put(n, kernel.checkExtension(n));
    capOverride.ifPresent(n -> answers.putIfAbsent(n, kernel.checkExtension(n)));

    int flag = kernel.createUserfaultSlot(true);
    boolean accepted = flag == 0;
    Optional<Boolean> badRejected = Optional.empty();
    String badResult = "not tried (the flag itself was rejected)";
    if (accepted) {
      int bad = kernel.createUserfaultSlot(false);
      badRejected = Optional.of(bad != 0);
      badResult = bad == 0 ? "accepted at the ioctl (checked only at fault time)" : "rejected at the ioctl (" + errno(bad) + ")";
    }

    OptionalInt cap = OptionalInt.empty();
    String capSource;
    if (capOverride.isPresent()) {
      cap = capOverride;
      capSource = "named with --userfault-cap (it answered " + answers.get(capOverride.getAsInt()) + ")";
    } else if (accepted) {
      for (int n : PREFERENCE) {
        if (answers.getOrDefault(n, 0) > 0) {
          cap = OptionalInt.of(n);
          break;
        }
      }
      capSource = cap.isPresent()
          ? "the first known number that answered (evidence, not proof)"
          : "no known number answered";
    } else {
      capSource = "none taken: the flag was rejected, so a positive answer means another capability";
    }

    UapiProfile profile;
    if (!accepted) profile = UapiProfile.UPSTREAM;
    else if (!badRejected.orElse(false)) profile = UapiProfile.UF_V1;
    else if (cap.isPresent() && V2_FAMILY.contains(cap.getAsInt())) profile = UapiProfile.UF_V2;
    else profile = UapiProfile.UF_V3;

    return new UserfaultEvidence(
        accepted, accepted ? "accepted" : "rejected (" + errno(flag) + ")", badRejected, badResult,
        Map.copyOf(answers), cap, capSource, profile);
  }

  /** One clause for reports and rule texts, e.g. "KVM_MEM_USERFAULT accepted on a scratch VM, ...". */
  public String describe() {
    List<String> parts = new ArrayList<>();
    parts.add("KVM_MEM_USERFAULT " + flagResult + " on a scratch VM");
    if (flagAccepted) parts.add("a bad bitmap pointer " + badBitmapResult);
    List<String> positive = new ArrayList<>();
    capabilityAnswers.entrySet().stream()
        .filter(en -> en.getValue() > 0)
        .sorted(Map.Entry.comparingByKey())
        .forEach(en -> positive.add(en.getKey() + "=" + en.getValue()));
    parts.add(positive.isEmpty() ? "no known capability number answered" : "capabilities answering " + String.join(", ", positive));
    if (capability.isPresent()) parts.add("taken as KVM_CAP_USERFAULT: " + capability.getAsInt());
    return String.join("; ", parts);
  }

  private static String errno(int e) {
    Errno x = Errno.of(e);
    return x == Errno.UNKNOWN ? "errno " + e : x.name();
  }
}
