package io.k8sci.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Expected lines are kubectl's format strings filled in by hand from the rules. */
class DeploymentRolloutStatusTest {

  private static final String SPEC_UPDATE = "Waiting for deployment spec update to be observed...";

  static Stream<Arguments> cases() {
    return Stream.of(
        arguments(
            "generation ahead of observedGeneration",
            d("web", 2L, 1L, 3, 3, 3, 3),
            RolloutStatus.waiting(SPEC_UPDATE)),
        arguments(
            "spec update pending hides a progress deadline",
            d("web", 4L, 3L, 3, 3, 1, 1, progressing("ProgressDeadlineExceeded")),
            RolloutStatus.waiting(SPEC_UPDATE)),
        arguments(
            "new object, no status yet",
            d("web", 1L, null, 3, null, null, null),
            RolloutStatus.waiting(SPEC_UPDATE)),
        arguments(
            "progress deadline exceeded",
            d("web", 3L, 3L, 3, 3, 1, 1, progressing("ProgressDeadlineExceeded")),
            RolloutStatus.failed("deployment \"web\" exceeded its progress deadline")),
        arguments(
            "progress deadline is checked before the replica counts",
            d("api", 2L, 2L, 2, 2, 2, 2, progressing("ProgressDeadlineExceeded")),
            RolloutStatus.failed("deployment \"api\" exceeded its progress deadline")),
        arguments(
            "only the first Progressing condition counts",
            d(
                "web",
                2L,
                2L,
                1,
                1,
                1,
                1,
                progressing("NewReplicaSetAvailable"),
                progressing("ProgressDeadlineExceeded")),
            RolloutStatus.done("deployment \"web\" successfully rolled out")),
        arguments(
            "the reason on another condition type is ignored",
            d(
                "web",
                2L,
                2L,
                1,
                1,
                1,
                1,
                new DeploymentConditionBuilder()
                    .withType("Available")
                    .withStatus("False")
                    .withReason("ProgressDeadlineExceeded")
                    .build()),
            RolloutStatus.done("deployment \"web\" successfully rolled out")),
        arguments(
            "no replica updated yet",
            d("web", 2L, 2L, 3, 3, 0, 3, progressing("ReplicaSetUpdated")),
            RolloutStatus.waiting(
                "Waiting for deployment \"web\" rollout to finish: 0 out of 3 new replicas have"
                    + " been updated...")),
        arguments(
            "some replicas updated",
            d("web", 2L, 2L, 3, 4, 1, 3),
            RolloutStatus.waiting(
                "Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have"
                    + " been updated...")),
        arguments(
            "spec.replicas missing counts as 1",
            d("web", 1L, 1L, null, 1, 0, 0),
            RolloutStatus.waiting(
                "Waiting for deployment \"web\" rollout to finish: 0 out of 1 new replicas have"
                    + " been updated...")),
        arguments(
            "one old replica pending termination",
            d("web", 2L, 2L, 3, 4, 3, 3),
            RolloutStatus.waiting(
                "Waiting for deployment \"web\" rollout to finish: 1 old replicas are pending"
                    + " termination...")),
        arguments(
            "old replicas are reported before availability",
            d("web", 2L, 2L, 3, 5, 3, 1),
            RolloutStatus.waiting(
                "Waiting for deployment \"web\" rollout to finish: 2 old replicas are pending"
                    + " termination...")),
        arguments(
            "updated replicas not yet available",
            d("web", 2L, 2L, 3, 3, 3, 2),
            RolloutStatus.waiting(
                "Waiting for deployment \"web\" rollout to finish: 2 of 3 updated replicas are"
                    + " available...")),
        arguments(
            "none of the updated replicas available",
            d("orders-api", 7L, 7L, 2, 2, 2, null),
            RolloutStatus.waiting(
                "Waiting for deployment \"orders-api\" rollout to finish: 0 of 2 updated replicas"
                    + " are available...")),
        arguments(
            "surge: more updated than wanted, all available",
            d("web", 2L, 2L, 3, 4, 4, 4),
            RolloutStatus.done("deployment \"web\" successfully rolled out")),
        arguments(
            "complete",
            d("web", 2L, 2L, 3, 3, 3, 3, progressing("NewReplicaSetAvailable")),
            RolloutStatus.done("deployment \"web\" successfully rolled out")),
        arguments(
            "complete with the defaulted single replica",
            d("web", 1L, 1L, null, 1, 1, 1),
            RolloutStatus.done("deployment \"web\" successfully rolled out")),
        arguments(
            "scaled to zero",
            d("web", 3L, 3L, 0, null, null, null),
            RolloutStatus.done("deployment \"web\" successfully rolled out")),
        arguments(
            "observedGeneration ahead of generation is evaluated",
            d("web", 1L, 2L, 1, 1, 1, 1),
            RolloutStatus.done("deployment \"web\" successfully rolled out")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void followsKubectl(String description, Deployment deployment, RolloutStatus expected) {
    assertThat(RolloutStatusRules.evaluate(deployment)).isEqualTo(expected);
    assertThat(RolloutStatusRules.hasRolloutStatus(deployment)).isTrue();
  }

  static DeploymentCondition progressing(String reason) {
    return new DeploymentConditionBuilder()
        .withType("Progressing")
        .withStatus("ProgressDeadlineExceeded".equals(reason) ? "False" : "True")
        .withReason(reason)
        .build();
  }

  static Deployment d(
      String name,
      Long generation,
      Long observedGeneration,
      Integer specReplicas,
      Integer replicas,
      Integer updated,
      Integer available,
      DeploymentCondition... conditions) {
    return new DeploymentBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("team")
        .withGeneration(generation)
        .endMetadata()
        .withNewSpec()
        .withReplicas(specReplicas)
        .endSpec()
        .withStatus(
            new DeploymentStatusBuilder()
                .withObservedGeneration(observedGeneration)
                .withReplicas(replicas)
                .withUpdatedReplicas(updated)
                .withAvailableReplicas(available)
                .withConditions(List.of(conditions))
                .build())
        .build();
  }
}
