package kvmuf.spec;

/**
 * A regression scenario (spec/scenarios/NAME.tla and NAME.cfg): a scripted schedule that extends
 * the spec, reaches the race's last step with the correct protocol (its {@code NotReached}
 * invariant fails, which proves the schedule is not vacuous) and fails {@code property} with
 * {@code mutant} switched on.
 *
 * @param name the module and config name
 * @param review the R-number of kvm-userfault-facts.md the race comes from
 * @param mutant the catalogued mutant that breaks it
 * @param property the invariant (or "Deadlock") the mutant fails
 * @param description one sentence on what the schedule replays
 */
public record Scenario(String name, String review, String mutant, String property, String description) {
  /** The invariant every scenario defines; TLC reports it violated when the last step is reached. */
  public static final String REACHED = "NotReached";
}
