package kvmuf.model;

import static kvmuf.model.StateBits.*;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntFunction;

/**
 * Renders a state the way TLC prints it (variable name to TLA+ value text, vCPUs named v1..vN),
 * so Java counterexamples print like TLC's and can be handed to TLC to replay.
 */
public final class TlaRender {
  private TlaRender() {}

  public static Map<String, String> vars(Config c, State s) {
    long[] w = s.view();
    Map<String, String> m = new TreeMap<>();
    List<String> flags = new ArrayList<>();
    if (dl(w)) {
      flags.add("\"DIRTY_LOG\"");
    }
    if (uf(w)) {
      flags.add("\"USERFAULT\"");
    }
    m.put("flags", "{" + String.join(", ", flags) + "}");
    m.put("slotGen", Integer.toString(slotGen(w)));
    m.put("memslotOp", q(MemslotOp.of(op(w)).tla));
    m.put("rearm", bool(rearm(w)));
    m.put("bitmap", gfnFn(c, x -> bool(bitmap(w, x))));
    m.put("fetched", gfnFn(c, x -> bool(fetched(w, x))));
    m.put("present", gfnFn(c, x -> bool(present(w, x))));
    m.put("spte", gfnFn(c, x -> q(Spte.of(spte(w, x)).tla)));
    m.put("mmuSeq", Integer.toString(mmuSeq(w)));
    m.put("pc", vcpuFn(c, p -> q(Pc.of(pc(w, p)).tla)));
    m.put("vgfn", vcpuFn(c, p -> Integer.toString(vgfn(w, p))));
    m.put("vkind", vcpuFn(c, p -> q(vkind(w, p) == KIND_KVM ? "kvm" : "vcpu")));
    m.put("vseq", vcpuFn(c, p -> Integer.toString(vseq(w, p))));
    m.put("vgen", vcpuFn(c, p -> Integer.toString(vgen(w, p))));
    m.put("budget", vcpuFn(c, p -> Integer.toString(budget(w, p))));
    m.put("exitFlags", vcpuFn(c, p -> !exitFlags(w, p) ? "{}"
        : exitPrivate(w, p) ? "{\"USERFAULT\", \"PRIVATE\"}" : "{\"USERFAULT\"}"));
    m.put("vstale", vcpuFn(c, p -> bool(stale(w, p))));
    List<String> queue = new ArrayList<>();
    for (int x = 0; x < c.numGfns(); x++) {
      if (queued(w, x)) {
        queue.add(Integer.toString(x));
      }
    }
    m.put("uffdQueue", "{" + String.join(", ", queue) + "}");
    m.put("uffdHandling", gfnFn(c, x -> q(switch (handling(w, x)) {
      case 0 -> "none";
      case 1 -> "read";
      default -> "wake";
    })));
    m.put("dirtyDone", bool(dirtyDone(w)));
    m.put("armed", gfnFn(c, x -> bool(armed(w, x))));
    m.put("lastRead", vcpuFn(c, p -> q(ValueClass.of(lastRead(w, p)).tla)));
    m.put("lastKvmRead", vcpuFn(c, p -> q(ValueClass.of(lastKvmRead(w, p)).tla)));
    m.put("bgGfn", Integer.toString(bgGfn(w)));
    m.put("bgStage", q(switch (bgStage(w)) {
      case 0 -> "idle";
      case 1 -> "installed";
      default -> "cleared";
    }));
    // model-b's variables
    m.put("apfWork", vcpuFn(c, p -> bool(getV(w, p, APF_WORK) != 0)));
    m.put("remotePc", q(switch (get(w, REMOTE_PC)) {
      case 0 -> "idle";
      case 1 -> "uffd_waiting";
      case 2 -> "woken";
      default -> "done";
    }));
    m.put("remoteGfn", Integer.toString(get(w, REMOTE_GFN)));
    m.put("lastRemoteRead", q(ValueClass.of(get(w, LAST_REMOTE_READ)).tla));
    m.put("slotChanged", bool(get(w, SLOT_CHANGED) != 0));
    // model-a's variables
    m.put("mmuInProgress", bool(get(w, MMU_IN_PROGRESS) != 0));
    m.put("mmuRangeGfn", Integer.toString(get(w, MMU_RANGE_GFN)));
    m.put("vfreed", vcpuFn(c, p -> bool(getV(w, p, VFREED) != 0)));
    m.put("staleSpte", gfnFn(c, x -> bool(getGfn(w, x, STALE_SPTE) != 0)));
    m.put("vwrite", vcpuFn(c, p -> bool(getV(w, p, VWRITE) != 0)));
    m.put("spteWp", gfnFn(c, x -> bool(getGfn(w, x, SPTE_WP) != 0)));
    m.put("dirtyBitmap", gfnFn(c, x -> bool(getGfn(w, x, DIRTY_BIT) != 0)));
    return new LinkedHashMap<>(m);
  }

  public static String vcpuName(int index) {
    return "v" + (index + 1);
  }

  private static String q(String s) {
    return "\"" + s + "\"";
  }

  private static String bool(boolean b) {
    return b ? "TRUE" : "FALSE";
  }

  private static String gfnFn(Config c, IntFunction<String> f) {
    List<String> parts = new ArrayList<>();
    for (int x = 0; x < c.numGfns(); x++) {
      parts.add(x + " :> " + f.apply(x));
    }
    return "(" + String.join(" @@ ", parts) + ")";
  }

  private static String vcpuFn(Config c, IntFunction<String> f) {
    List<String> parts = new ArrayList<>();
    for (int p = 0; p < c.vcpus(); p++) {
      parts.add(vcpuName(p) + " :> " + f.apply(p));
    }
    return "(" + String.join(" @@ ", parts) + ")";
  }
}
