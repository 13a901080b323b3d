package io.k8sci.rollout;

import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * CONTRACT STUB (to be implemented by the rollout-status work): kubectl's rollout-status rules for
 * Deployment, StatefulSet and DaemonSet, as a pure function of the live object.
 */
public final class RolloutStatusRules {

  private RolloutStatusRules() {}

  /** True for the kinds that have a rollout status (Deployment, StatefulSet, DaemonSet). */
  public static boolean hasRolloutStatus(HasMetadata workload) {
    throw new UnsupportedOperationException("not implemented yet");
  }

  /** Evaluates the live object; never blocks, never calls the API server. */
  public static RolloutStatus evaluate(HasMetadata workload) {
    throw new UnsupportedOperationException("not implemented yet");
  }
}
