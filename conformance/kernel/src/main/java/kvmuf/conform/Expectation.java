package kvmuf.conform;

/**
 * Where an expected observation comes from: the Java model's transitions ({@code model}), or the kernel's
 * documented UAPI where the model is silent ({@code uapi}: MMIO exits, memslot overlap, the EINVAL of an
 * unknown flag, the wake semantics of UFFDIO_WAKE outside the model's EEXIST path).
 */
public record Expectation(Observation observation, Source source) {
  public enum Source { MODEL, UAPI }

  public static Expectation model(Observation o) {
    return new Expectation(o, Source.MODEL);
  }

  public static Expectation uapi(Observation o) {
    return new Expectation(o, Source.UAPI);
  }
}
