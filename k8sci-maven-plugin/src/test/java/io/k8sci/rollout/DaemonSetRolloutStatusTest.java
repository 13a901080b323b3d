package io.k8sci.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatusBuilder;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Expected lines are kubectl's format strings filled in by hand from the rules. */
class DaemonSetRolloutStatusTest {

  private static final String SPEC_UPDATE = "Waiting for daemon set spec update to be observed...";
  private static final String NO_STATUS =
      "rollout status is only available for RollingUpdate strategy type";

  static Stream<Arguments> cases() {
    return Stream.of(
        arguments(
            "generation ahead", ds(null, 2L, 1L, 3, 3, 3), RolloutStatus.waiting(SPEC_UPDATE)),
        arguments(
            "new object without status",
            ds(null, 1L, null, null, null, null),
            RolloutStatus.waiting(SPEC_UPDATE)),
        arguments(
            "one of three nodes updated",
            ds("RollingUpdate", 2L, 2L, 3, 1, 1),
            RolloutStatus.waiting(
                "Waiting for daemon set \"node-agent\" rollout to finish: 1 out of 3 new pods have"
                    + " been updated...")),
        arguments(
            "updated count is checked before availability",
            ds(null, 2L, 2L, 4, 3, 0),
            RolloutStatus.waiting(
                "Waiting for daemon set \"node-agent\" rollout to finish: 3 out of 4 new pods have"
                    + " been updated...")),
        arguments(
            "all updated, two available",
            ds(null, 2L, 2L, 3, 3, 2),
            RolloutStatus.waiting(
                "Waiting for daemon set \"node-agent\" rollout to finish: 2 of 3 updated pods are"
                    + " available...")),
        arguments(
            "all updated, none available",
            ds(null, 2L, 2L, 1, 1, null),
            RolloutStatus.waiting(
                "Waiting for daemon set \"node-agent\" rollout to finish: 0 of 1 updated pods are"
                    + " available...")),
        arguments(
            "complete",
            ds("RollingUpdate", 2L, 2L, 3, 3, 3),
            RolloutStatus.done("daemon set \"node-agent\" successfully rolled out")),
        arguments(
            "no node to schedule on",
            ds(null, 1L, 1L, 0, 0, 0),
            RolloutStatus.done("daemon set \"node-agent\" successfully rolled out")),
        arguments("OnDelete", ds("OnDelete", 2L, 2L, 3, 0, 0), RolloutStatus.done(NO_STATUS)),
        arguments(
            "OnDelete is reported before observedGeneration",
            ds("OnDelete", 5L, 1L, 3, 0, 0),
            RolloutStatus.done(NO_STATUS)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void followsKubectl(String description, DaemonSet daemonSet, RolloutStatus expected) {
    assertThat(RolloutStatusRules.evaluate(daemonSet)).isEqualTo(expected);
    assertThat(RolloutStatusRules.hasRolloutStatus(daemonSet))
        .isEqualTo(!expected.message().equals(NO_STATUS));
  }

  static DaemonSet ds(
      String strategyType,
      Long generation,
      Long observedGeneration,
      Integer desired,
      Integer updated,
      Integer available) {
    return new DaemonSetBuilder()
        .withNewMetadata()
        .withName("node-agent")
        .withGeneration(generation)
        .endMetadata()
        .withNewSpec()
        .withNewUpdateStrategy()
        .withType(strategyType)
        .endUpdateStrategy()
        .endSpec()
        .withStatus(
            new DaemonSetStatusBuilder()
                .withObservedGeneration(observedGeneration)
                .withDesiredNumberScheduled(desired)
                .withUpdatedNumberScheduled(updated)
                .withNumberAvailable(available)
                .build())
        .build();
  }
}
