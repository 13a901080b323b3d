package io.k8sci.rollout;

import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatus;

/**
 * kubectl's rollout status of a DaemonSet ({@code DaemonSetStatusViewer}), as a pure function.
 *
 * <p>A missing {@code updateStrategy.type} is read as the API server's default, {@code
 * RollingUpdate}. {@code OnDelete} has no rollout status: like kubectl, the message is {@code
 * rollout status is only available for RollingUpdate strategy type}; the status is {@code done} so
 * that a watcher stops waiting (see {@link StatefulSetRolloutStatus}).
 */
final class DaemonSetRolloutStatus {

  private DaemonSetRolloutStatus() {}

  static boolean isRollingUpdate(DaemonSet daemonSet) {
    return StatefulSetRolloutStatus.ROLLING_UPDATE.equals(effectiveType(daemonSet));
  }

  static RolloutStatus evaluate(DaemonSet daemonSet) {
    if (!isRollingUpdate(daemonSet)) {
      return RolloutStatus.done(StatefulSetRolloutStatus.NO_ROLLOUT_STATUS);
    }
    String name = daemonSet.getMetadata().getName();
    DaemonSetStatus status =
        daemonSet.getStatus() == null ? new DaemonSetStatus() : daemonSet.getStatus();
    long generation = Numbers.of(daemonSet.getMetadata().getGeneration());
    long observedGeneration = Numbers.of(status.getObservedGeneration());
    if (generation > observedGeneration) {
      return RolloutStatus.waiting("Waiting for daemon set spec update to be observed...");
    }
    int desired = Numbers.of(status.getDesiredNumberScheduled());
    int updated = Numbers.of(status.getUpdatedNumberScheduled());
    int available = Numbers.of(status.getNumberAvailable());
    String waiting = "Waiting for daemon set \"" + name + "\" rollout to finish: ";
    if (updated < desired) {
      return RolloutStatus.waiting(
          waiting + updated + " out of " + desired + " new pods have been updated...");
    }
    if (available < desired) {
      return RolloutStatus.waiting(
          waiting + available + " of " + desired + " updated pods are available...");
    }
    return RolloutStatus.done("daemon set \"" + name + "\" successfully rolled out");
  }

  private static String effectiveType(DaemonSet daemonSet) {
    if (daemonSet.getSpec() == null
        || daemonSet.getSpec().getUpdateStrategy() == null
        || daemonSet.getSpec().getUpdateStrategy().getType() == null
        || daemonSet.getSpec().getUpdateStrategy().getType().isEmpty()) {
      return StatefulSetRolloutStatus.ROLLING_UPDATE;
    }
    return daemonSet.getSpec().getUpdateStrategy().getType();
  }
}
