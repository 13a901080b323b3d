package io.k8sci.rollout;

import io.fabric8.kubernetes.api.model.apps.RollingUpdateStatefulSetStrategy;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetSpec;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatus;
import io.fabric8.kubernetes.api.model.apps.StatefulSetUpdateStrategy;

/**
 * kubectl's rollout status of a StatefulSet ({@code StatefulSetStatusViewer}), as a pure function.
 *
 * <p>The spec is read as the API server defaults it ({@code SetDefaults_StatefulSet} in apps/v1),
 * because kubectl only ever sees defaulted objects while test servers apply no defaults:
 *
 * <ul>
 *   <li>{@code spec.replicas} missing → 1;
 *   <li>{@code updateStrategy.type} missing → {@code RollingUpdate} with {@code rollingUpdate:
 *       {partition: 0}} — so on a real cluster kubectl ends with {@code partitioned roll out
 *       complete: N new pods have been updated...} even without a partition;
 *   <li>{@code type: RollingUpdate} with a {@code rollingUpdate} block but no partition → partition
 *       0;
 *   <li>{@code type: RollingUpdate} written without any {@code rollingUpdate} block stays without
 *       one, and kubectl then compares {@code updateRevision} with {@code currentRevision}.
 * </ul>
 *
 * <p>{@code OnDelete} has no rollout status: kubectl prints {@code rollout status is only available
 * for RollingUpdate strategy type} and stops. Here that is a {@code done} status with kubectl's
 * message, so that a watcher stops waiting; {@link RolloutStatusRules#hasRolloutStatus} answers
 * false for such a StatefulSet so callers can skip it up front.
 */
final class StatefulSetRolloutStatus {

  static final String ROLLING_UPDATE = "RollingUpdate";
  static final String NO_ROLLOUT_STATUS =
      "rollout status is only available for RollingUpdate strategy type";

  private StatefulSetRolloutStatus() {}

  static boolean isRollingUpdate(StatefulSet statefulSet) {
    return ROLLING_UPDATE.equals(effectiveType(statefulSet.getSpec()));
  }

  static RolloutStatus evaluate(StatefulSet statefulSet) {
    StatefulSetSpec spec =
        statefulSet.getSpec() == null ? new StatefulSetSpec() : statefulSet.getSpec();
    if (!ROLLING_UPDATE.equals(effectiveType(spec))) {
      return RolloutStatus.done(NO_ROLLOUT_STATUS);
    }
    StatefulSetStatus status =
        statefulSet.getStatus() == null ? new StatefulSetStatus() : statefulSet.getStatus();
    long generation = Numbers.of(statefulSet.getMetadata().getGeneration());
    long observedGeneration = Numbers.of(status.getObservedGeneration());
    if (observedGeneration == 0 || generation > observedGeneration) {
      return RolloutStatus.waiting("Waiting for statefulset spec update to be observed...");
    }
    int replicas = Numbers.of(spec.getReplicas(), 1);
    int ready = Numbers.of(status.getReadyReplicas());
    if (ready < replicas) {
      return RolloutStatus.waiting("Waiting for " + (replicas - ready) + " pods to be ready...");
    }
    int updated = Numbers.of(status.getUpdatedReplicas());
    RollingUpdateStatefulSetStrategy rollingUpdate = effectiveRollingUpdate(spec);
    if (rollingUpdate != null) {
      // a rollingUpdate block always carries a partition once defaulted (0 when not written)
      int partition = Numbers.of(rollingUpdate.getPartition());
      if (updated < replicas - partition) {
        return RolloutStatus.waiting(
            "Waiting for partitioned roll out to finish: "
                + updated
                + " out of "
                + (replicas - partition)
                + " new pods have been updated...");
      }
      return RolloutStatus.done(
          "partitioned roll out complete: " + updated + " new pods have been updated...");
    }
    String updateRevision = nullToEmpty(status.getUpdateRevision());
    String currentRevision = nullToEmpty(status.getCurrentRevision());
    if (!updateRevision.equals(currentRevision)) {
      return RolloutStatus.waiting(
          "waiting for statefulset rolling update to complete "
              + updated
              + " pods at revision "
              + updateRevision
              + "...");
    }
    return RolloutStatus.done(
        "statefulset rolling update complete "
            + Numbers.of(status.getCurrentReplicas())
            + " pods at revision "
            + currentRevision
            + "...");
  }

  private static String effectiveType(StatefulSetSpec spec) {
    StatefulSetUpdateStrategy strategy = spec == null ? null : spec.getUpdateStrategy();
    if (strategy == null || strategy.getType() == null || strategy.getType().isEmpty()) {
      return ROLLING_UPDATE;
    }
    return strategy.getType();
  }

  /** Null when the API server would leave {@code rollingUpdate} unset. */
  private static RollingUpdateStatefulSetStrategy effectiveRollingUpdate(StatefulSetSpec spec) {
    StatefulSetUpdateStrategy strategy = spec.getUpdateStrategy();
    boolean typeDefaulted =
        strategy == null || strategy.getType() == null || strategy.getType().isEmpty();
    RollingUpdateStatefulSetStrategy given = strategy == null ? null : strategy.getRollingUpdate();
    if (given == null && typeDefaulted) {
      return new RollingUpdateStatefulSetStrategy();
    }
    return given;
  }

  private static String nullToEmpty(String value) {
    return value == null ? "" : value;
  }
}
