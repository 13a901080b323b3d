package io.k8sci;

/**
 * A failure the user can act on: its message names the file, field, registry or object at fault and
 * what to check. The Mojos turn it into a build failure without a stack trace.
 */
public class K8sciException extends RuntimeException {

  public K8sciException(String message) {
    super(message);
  }

  public K8sciException(String message, Throwable cause) {
    super(message, cause);
  }
}
