package kvmuf.spec;

/**
 * A catalogued deviation from the correct protocol: a known race or design mistake from review,
 * switched on through the spec's {@code Mutants} constant.
 *
 * @param id the name shared by the spec, the Java model and the trace format
 * @param review the review reference (R-number, see spec/RACES.md, or "-")
 * @param config the model config on which it is checked
 * @param property the invariant (or "Deadlock") that must fail
 * @param description one sentence on what goes wrong
 */
public record Mutant(String id, String review, String config, String property, String description) {}
