package io.k8sci.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.fabric8.kubernetes.api.model.apps.RollingUpdateStatefulSetStrategy;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetUpdateStrategy;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Expected lines are kubectl's format strings filled in by hand from the rules. */
class StatefulSetRolloutStatusTest {

  private static final String SPEC_UPDATE = "Waiting for statefulset spec update to be observed...";
  private static final String NO_STATUS =
      "rollout status is only available for RollingUpdate strategy type";

  /** No updateStrategy at all: the API server defaults it to RollingUpdate, partition 0. */
  static final StatefulSetUpdateStrategy DEFAULTED = null;

  static final StatefulSetUpdateStrategy ON_DELETE =
      new StatefulSetUpdateStrategy(null, "OnDelete");

  /** type RollingUpdate written without a rollingUpdate block: left so by the API server. */
  static final StatefulSetUpdateStrategy ROLLING_NO_BLOCK =
      new StatefulSetUpdateStrategy(null, "RollingUpdate");

  static StatefulSetUpdateStrategy partition(Integer partition) {
    return new StatefulSetUpdateStrategy(
        new RollingUpdateStatefulSetStrategy(null, partition), "RollingUpdate");
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        // observedGeneration
        arguments(
            "never observed",
            s(DEFAULTED, 1L, null, 3, 0, 0, 0),
            RolloutStatus.waiting(SPEC_UPDATE)),
        arguments(
            "observedGeneration 0 even when generation is 0",
            s(DEFAULTED, 0L, 0L, 1, 1, 1, 1),
            RolloutStatus.waiting(SPEC_UPDATE)),
        arguments(
            "generation ahead",
            s(DEFAULTED, 3L, 2L, 3, 3, 3, 3),
            RolloutStatus.waiting(SPEC_UPDATE)),
        // readiness
        arguments(
            "two pods not ready",
            s(DEFAULTED, 2L, 2L, 3, 1, 3, 3),
            RolloutStatus.waiting("Waiting for 2 pods to be ready...")),
        arguments(
            "spec.replicas missing counts as 1",
            s(DEFAULTED, 1L, 1L, null, 0, 0, 0),
            RolloutStatus.waiting("Waiting for 1 pods to be ready...")),
        arguments(
            "readiness is checked before the partition",
            s(partition(0), 2L, 2L, 3, 2, 0, 0),
            RolloutStatus.waiting("Waiting for 1 pods to be ready...")),
        // defaulted strategy → partition 0
        arguments(
            "defaulted strategy, pods still being updated",
            s(DEFAULTED, 2L, 2L, 3, 3, 1, 2),
            RolloutStatus.waiting(
                "Waiting for partitioned roll out to finish: 1 out of 3 new pods have been"
                    + " updated...")),
        arguments(
            "defaulted strategy, complete",
            s(DEFAULTED, 2L, 2L, 3, 3, 3, 0),
            RolloutStatus.done("partitioned roll out complete: 3 new pods have been updated...")),
        arguments(
            "rollingUpdate block without partition means partition 0",
            s(partition(null), 2L, 2L, 2, 2, 1, 1),
            RolloutStatus.waiting(
                "Waiting for partitioned roll out to finish: 1 out of 2 new pods have been"
                    + " updated...")),
        // explicit partition
        arguments(
            "partition 2 of 5, two updated",
            s(partition(2), 4L, 4L, 5, 5, 2, 3),
            RolloutStatus.waiting(
                "Waiting for partitioned roll out to finish: 2 out of 3 new pods have been"
                    + " updated...")),
        arguments(
            "partition 2 of 5, three updated",
            s(partition(2), 4L, 4L, 5, 5, 3, 2),
            RolloutStatus.done("partitioned roll out complete: 3 new pods have been updated...")),
        arguments(
            "partition above replicas has nothing to update",
            s(partition(5), 4L, 4L, 3, 3, 0, 3),
            RolloutStatus.done("partitioned roll out complete: 0 new pods have been updated...")),
        // RollingUpdate without a rollingUpdate block → revisions
        arguments(
            "revisions differ",
            s(ROLLING_NO_BLOCK, 5L, 5L, 3, 3, 1, 2, "db-7d9f", "db-5c4b"),
            RolloutStatus.waiting(
                "waiting for statefulset rolling update to complete 1 pods at revision"
                    + " db-5c4b...")),
        arguments(
            "revisions equal",
            s(ROLLING_NO_BLOCK, 5L, 5L, 3, 3, 3, 3, "db-5c4b", "db-5c4b"),
            RolloutStatus.done(
                "statefulset rolling update complete 3 pods at revision db-5c4b...")),
        arguments(
            "no revisions reported yet count as equal",
            s(ROLLING_NO_BLOCK, 1L, 1L, 1, 1, 1, 0),
            RolloutStatus.done("statefulset rolling update complete 0 pods at revision ...")),
        // no rollout status
        arguments("OnDelete", s(ON_DELETE, 2L, 2L, 3, 3, 3, 3), RolloutStatus.done(NO_STATUS)),
        arguments(
            "OnDelete is reported before observedGeneration",
            s(ON_DELETE, 3L, 1L, 3, 0, 0, 0),
            RolloutStatus.done(NO_STATUS)),
        arguments(
            "unknown strategy type",
            s(new StatefulSetUpdateStrategy(null, "Canary"), 1L, 1L, 1, 1, 1, 1),
            RolloutStatus.done(NO_STATUS)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void followsKubectl(String description, StatefulSet statefulSet, RolloutStatus expected) {
    assertThat(RolloutStatusRules.evaluate(statefulSet)).isEqualTo(expected);
    assertThat(RolloutStatusRules.hasRolloutStatus(statefulSet))
        .isEqualTo(!expected.message().equals(NO_STATUS));
  }

  static StatefulSet s(
      StatefulSetUpdateStrategy strategy,
      Long generation,
      Long observedGeneration,
      Integer specReplicas,
      Integer ready,
      Integer updated,
      Integer current) {
    return s(
        strategy,
        generation,
        observedGeneration,
        specReplicas,
        ready,
        updated,
        current,
        null,
        null);
  }

  static StatefulSet s(
      StatefulSetUpdateStrategy strategy,
      Long generation,
      Long observedGeneration,
      Integer specReplicas,
      Integer ready,
      Integer updated,
      Integer current,
      String currentRevision,
      String updateRevision) {
    return new StatefulSetBuilder()
        .withNewMetadata()
        .withName("db")
        .withGeneration(generation)
        .endMetadata()
        .withNewSpec()
        .withReplicas(specReplicas)
        .withUpdateStrategy(strategy)
        .endSpec()
        .withStatus(
            new StatefulSetStatusBuilder()
                .withObservedGeneration(observedGeneration)
                .withReadyReplicas(ready)
                .withUpdatedReplicas(updated)
                .withCurrentReplicas(current)
                .withCurrentRevision(currentRevision)
                .withUpdateRevision(updateRevision)
                .build())
        .build();
  }
}
