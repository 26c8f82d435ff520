package kvmuf.check;

import java.util.Map;

/**
 * One state of a counterexample, the way TLC prints it: the action that led to it and every
 * variable's value in TLA+ syntax. The Java engine renders its states the same way, so traces
 * from both engines compare and print alike.
 *
 * @param index 1-based position in the behaviour
 * @param action the action name ("Initial predicate" for the first state)
 * @param vars variable name to TLA+ value text
 */
public record TraceState(int index, String action, Map<String, String> vars) {}
