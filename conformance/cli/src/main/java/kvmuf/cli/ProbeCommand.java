package kvmuf.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import kvmuf.conform.run.HostConform;
import kvmuf.kvm.Capabilities;
import kvmuf.kvm.UapiProfile;
import kvmuf.kvm.UserfaultEvidence;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kvmuf probe}: what the running kernel offers the kit. Informational, so it exits 0 whether or
 * not /dev/kvm exists; a missing piece is reported with its reason.
 */
@Command(
    name = "probe",
    mixinStandardHelpOptions = true,
    description = {
      "Report what the running kernel supports: kernel version, KVM API version and capabilities",
      "(USER_MEMORY2, GUEST_MEMFD, GUEST_MEMFD_FLAGS, MEMORY_FAULT_INFO), userfaultfd features and the",
      "transparent huge page mode, and KVM Userfault as detected by behaviour on a scratch VM: is",
      "KVM_MEM_USERFAULT accepted, is a bad bitmap pointer rejected at the ioctl (v2+) or only at fault time",
      "(v1), and which of the numbers it has had (236 239 240 241 243 245 252) answer KVM_CHECK_EXTENSION:",
      "evidence, not proof. The UAPI profile follows from that.",
      "Exits 0 even without /dev/kvm: the report says what is missing."
    })
public final class ProbeCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--json", description = "Print one JSON object instead of text.")
  boolean json;

  @Option(names = "--profile", paramLabel = "ID",
      description = "Report this UAPI profile (upstream, uf-v1, uf-v2, uf-v3) instead of the detected one; the evidence is still shown.")
  String profile;

  @Option(names = "--userfault-cap", paramLabel = "N",
      description = "Also ask capability N and take it as KVM_CAP_USERFAULT (a kernel that numbers it differently).")
  Integer userfaultCap;

  @Override
  public Integer call() throws Exception {
    Optional<UapiProfile> named = profileOption(profile);
    if (userfaultCap != null && userfaultCap <= 0) throw KvmufException.usage("--userfault-cap must be a positive capability number");
    Capabilities c = Capabilities.probe(userfaultCap == null ? OptionalInt.empty() : OptionalInt.of(userfaultCap));
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(toJson(c, named)));
    } else {
      out.print(toText(c, named));
    }
    out.flush();
    return ExitCodes.OK;
  }

  static Optional<UapiProfile> profileOption(String id) {
    if (id == null) return Optional.empty();
    try {
      return Optional.of(UapiProfile.byId(id));
    } catch (IllegalArgumentException e) {
      throw KvmufException.usage("--profile: " + e.getMessage());
    }
  }

  static ObjectNode toJson(Capabilities c) {
    return toJson(c, Optional.empty());
  }

  static ObjectNode toJson(Capabilities c, Optional<UapiProfile> named) {
    ObjectMapper m = new ObjectMapper();
    ObjectNode root = m.createObjectNode();
    ObjectNode k = root.putObject("kernel");
    k.put("sysname", c.kernel().sysname());
    k.put("release", c.kernel().release());
    k.put("version", c.kernel().version());
    k.put("machine", c.kernel().machine());
    root.put("thp", c.thpMode());

    var u = c.userfaultfd();
    ObjectNode uj = root.putObject("userfaultfd");
    uj.put("available", u.available());
    if (!u.available()) uj.put("reason", u.reason());
    uj.put("syscall", u.syscall());
    uj.put("device", u.device());
    uj.put("features", "0x" + Long.toHexString(u.features()));
    u.featureNames().forEach(uj.putArray("featureNames")::add);
    if (u.featureNames().isEmpty()) uj.putArray("featureNames");

    var kv = c.kvm();
    ObjectNode kj = root.putObject("kvm");
    kj.put("present", kv.present());
    if (!kv.present()) {
      kj.put("reason", kv.reason());
      return root;
    }
    kj.put("apiVersion", kv.apiVersion());
    kj.put("vcpuMmapSize", kv.vcpuMmapSize());
    ObjectNode caps = kj.putObject("capabilities");
    for (var cap : kv.capabilities()) {
      ObjectNode cj = caps.putObject(cap.name());
      cj.put("number", cap.number());
      cj.put("value", cap.value());
    }
    var flags = kj.putArray("guestMemfdFlags");
    kv.guestMemfdFlags().forEach(flags::add);
    ObjectNode uf = kj.putObject("userfault");
    UserfaultEvidence ev = kv.userfault();
    uf.put("profile", named.orElse(kv.profile()).id());
    uf.put("profileSource", named.isPresent() ? "--profile (detected: " + kv.profile().id() + ")" : "detected by behaviour");
    uf.put("offered", ev.flagAccepted());
    if (kv.userfaultCap().isPresent()) uf.put("capability", kv.userfaultCap().getAsInt());
    else uf.putNull("capability");
    uf.put("capabilitySource", ev.capabilitySource());
    ObjectNode ej = uf.putObject("evidence");
    ej.put("flagAccepted", ev.flagAccepted());
    ej.put("flag", ev.flagResult());
    if (ev.badBitmapRejectedAtIoctl().isPresent()) ej.put("badBitmapRejectedAtIoctl", ev.badBitmapRejectedAtIoctl().get());
    else ej.putNull("badBitmapRejectedAtIoctl");
    ej.put("badBitmap", ev.badBitmapResult());
    ObjectNode answers = ej.putObject("answers");
    kv.userfaultCandidates().forEach((n, v) -> answers.put(Integer.toString(n), v));
    ej.put("summary", ev.describe());
    uf.put("note", kv.note());
    // Our reference kernel's seeded-bug switch (kvm.userfault_mutant); absent on every other kernel.
    HostConform.kernelMutant().ifPresent(id -> uf.put("referenceKernelMutant", id));
    return root;
  }

  static String toText(Capabilities c) {
    return toText(c, Optional.empty());
  }

  static String toText(Capabilities c, Optional<UapiProfile> named) {
    StringBuilder b = new StringBuilder();
    var k = c.kernel();
    b.append("kernel:       ").append(k.sysname()).append(' ').append(k.release()).append(" (").append(k.machine()).append(")\n");
    b.append("THP:          ").append(c.thpMode()).append('\n');
    var u = c.userfaultfd();
    if (u.available()) {
      b.append("userfaultfd:  available (")
          .append(u.syscall() ? "syscall" : "")
          .append(u.syscall() && u.device() ? ", " : "")
          .append(u.device() ? "/dev/userfaultfd" : "")
          .append("), features 0x")
          .append(Long.toHexString(u.features()))
          .append('\n');
      for (String f : u.featureNames()) b.append("                ").append(f).append('\n');
    } else {
      b.append("userfaultfd:  unavailable: ").append(u.reason()).append('\n');
    }
    var kv = c.kvm();
    if (!kv.present()) {
      b.append("KVM:          ").append(kv.reason()).append('\n');
      return b.toString();
    }
    b.append("KVM:          /dev/kvm, API version ").append(kv.apiVersion()).append(", vCPU mmap size ").append(kv.vcpuMmapSize()).append('\n');
    for (var cap : kv.capabilities()) {
      b.append(String.format("  %-34s (%3d) = %d%n", cap.name(), cap.number(), cap.value()));
    }
    if (!kv.guestMemfdFlags().isEmpty()) b.append("  guest_memfd flags: ").append(String.join(", ", kv.guestMemfdFlags())).append('\n');
    UserfaultEvidence ev = kv.userfault();
    b.append("KVM Userfault: ").append(ev.flagAccepted() ? "offered" : "not offered");
    if (kv.userfaultCap().isPresent()) b.append(", KVM_CAP_USERFAULT taken as ").append(kv.userfaultCap().getAsInt());
    b.append("; UAPI profile ").append(named.orElse(kv.profile()).id())
        .append(named.isPresent() ? " (--profile; detected " + kv.profile().id() + ")" : " (detected by behaviour)").append('\n');
    b.append("  evidence: ").append(ev.describe()).append('\n');
    b.append("  answers: ");
    kv.userfaultCandidates().forEach((n, v) -> b.append(n).append('=').append(v).append(' '));
    b.setLength(b.length() - 1);
    b.append('\n');
    b.append("  note: ").append(kv.note()).append('\n');
    HostConform.kernelMutant().ifPresent(id -> b.append("  reference kernel mutant (kvm.userfault_mutant): ").append(id).append('\n'));
    return b.toString();
  }
}
