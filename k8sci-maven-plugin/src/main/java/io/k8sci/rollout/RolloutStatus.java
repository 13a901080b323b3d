package io.k8sci.rollout;

/**
 * One evaluation of a workload's rollout, exactly as {@code kubectl rollout status} would print it.
 *
 * @param message kubectl's message, e.g. {@code Waiting for deployment "web" rollout to finish: 1
 *     out of 3 new replicas have been updated...}
 * @param done the rollout finished successfully
 * @param failed the rollout can no longer succeed (e.g. progress deadline exceeded); the message
 *     says why
 */
public record RolloutStatus(String message, boolean done, boolean failed) {

  public static RolloutStatus waiting(String message) {
    return new RolloutStatus(message, false, false);
  }

  public static RolloutStatus done(String message) {
    return new RolloutStatus(message, true, false);
  }

  public static RolloutStatus failed(String message) {
    return new RolloutStatus(message, false, true);
  }
}
