package kvmuf.kvm;

/**
 * A feature the running kernel (or the chosen UAPI profile) does not offer. Conformance reports the step
 * as "unsupported" rather than passing it; the message always starts with "unsupported: ".
 */
public class UnsupportedFeatureException extends RuntimeException {
  public UnsupportedFeatureException(String message) {
    super(message.startsWith("unsupported: ") ? message : "unsupported: " + message);
  }
}
