package io.k8sci.rollout;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;

/**
 * kubectl's rollout status of a Deployment ({@code DeploymentStatusViewer} in kubectl's {@code
 * polymorphichelpers/rollout_status.go}), as a pure function.
 *
 * <p>Why mirror kubectl to the letter: teams replace {@code kubectl rollout status} in their
 * pipelines with this goal and read the same lines in their job logs; a rollout kubectl calls done
 * must be done here, and vice versa.
 *
 * <p>The object is read as the API server would have defaulted it: a missing {@code spec.replicas}
 * counts as 1 (kubectl only ever sees defaulted objects, and test servers apply no defaults).
 */
final class DeploymentRolloutStatus {

  static final String TIMED_OUT_REASON = "ProgressDeadlineExceeded";

  private DeploymentRolloutStatus() {}

  static RolloutStatus evaluate(Deployment deployment) {
    String name = deployment.getMetadata().getName();
    DeploymentStatus status =
        deployment.getStatus() == null ? new DeploymentStatus() : deployment.getStatus();
    long generation = Numbers.of(deployment.getMetadata().getGeneration());
    long observedGeneration = Numbers.of(status.getObservedGeneration());
    if (generation > observedGeneration) {
      return RolloutStatus.waiting("Waiting for deployment spec update to be observed...");
    }
    if (progressDeadlineExceeded(status)) {
      return RolloutStatus.failed("deployment \"" + name + "\" exceeded its progress deadline");
    }
    int specReplicas =
        deployment.getSpec() == null ? 1 : Numbers.of(deployment.getSpec().getReplicas(), 1);
    int updated = Numbers.of(status.getUpdatedReplicas());
    int replicas = Numbers.of(status.getReplicas());
    int available = Numbers.of(status.getAvailableReplicas());
    String waiting = "Waiting for deployment \"" + name + "\" rollout to finish: ";
    if (updated < specReplicas) {
      return RolloutStatus.waiting(
          waiting + updated + " out of " + specReplicas + " new replicas have been updated...");
    }
    if (replicas > updated) {
      return RolloutStatus.waiting(
          waiting + (replicas - updated) + " old replicas are pending termination...");
    }
    if (available < updated) {
      return RolloutStatus.waiting(
          waiting + available + " of " + updated + " updated replicas are available...");
    }
    return RolloutStatus.done("deployment \"" + name + "\" successfully rolled out");
  }

  /** kubectl looks at the first {@code Progressing} condition only. */
  private static boolean progressDeadlineExceeded(DeploymentStatus status) {
    if (status.getConditions() == null) {
      return false;
    }
    for (DeploymentCondition condition : status.getConditions()) {
      if ("Progressing".equals(condition.getType())) {
        return TIMED_OUT_REASON.equals(condition.getReason());
      }
    }
    return false;
  }
}
