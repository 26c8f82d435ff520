package kvmuf.trace;

import kvmuf.model.Config;

/**
 * Line 1 of a trace: format version, the model config (every constant), the seed, the UAPI
 * profile the trace assumes and the generator that made it ("random", "coverage", or "observed"
 * for a run logged by a target).
 */
public record TraceHeader(int format, Config config, long seed, String profile, String generator) {
  public static final int FORMAT = 1;
}
