package io.k8sci.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RolloutStatusRulesTest {

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  static GenericKubernetesResource generic(String yaml) {
    return SERIALIZATION.unmarshal(yaml, GenericKubernetesResource.class);
  }

  static Stream<Arguments> kinds() {
    return Stream.of(
        arguments(DeploymentRolloutStatusTest.d("web", 1L, 1L, 1, 1, 1, 1), true),
        arguments(
            StatefulSetRolloutStatusTest.s(
                StatefulSetRolloutStatusTest.DEFAULTED, 1L, 1L, 1, 1, 1, 1),
            true),
        arguments(
            StatefulSetRolloutStatusTest.s(
                StatefulSetRolloutStatusTest.ON_DELETE, 1L, 1L, 1, 1, 1, 1),
            false),
        arguments(DaemonSetRolloutStatusTest.ds(null, 1L, 1L, 1, 1, 1), true),
        arguments(DaemonSetRolloutStatusTest.ds("OnDelete", 1L, 1L, 1, 1, 1), false),
        arguments(
            new ServiceBuilder().withNewMetadata().withName("web").endMetadata().build(), false),
        arguments(
            new ConfigMapBuilder().withNewMetadata().withName("cfg").endMetadata().build(), false),
        arguments(
            new ReplicaSetBuilder().withNewMetadata().withName("rs").endMetadata().build(), false),
        arguments(
            new JobBuilder().withNewMetadata().withName("migrate").endMetadata().build(), false),
        arguments(generic("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"), true),
        arguments(
            generic("apiVersion: extensions/v1beta1\nkind: DaemonSet\nmetadata: {name: agent}\n"),
            true),
        arguments(
            generic(
                "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\n"
                    + "spec: {updateStrategy: {type: OnDelete}}\n"),
            false),
        arguments(
            generic("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: web}\n"),
            false),
        arguments(
            generic("apiVersion: example.com/v1\nkind: Deployment\nmetadata: {name: web}\n"),
            false));
  }

  @ParameterizedTest
  @MethodSource("kinds")
  void knowsWhichObjectsHaveARolloutStatus(HasMetadata object, boolean expected) {
    assertThat(RolloutStatusRules.hasRolloutStatus(object)).isEqualTo(expected);
  }

  @Test
  void nullHasNoRolloutStatus() {
    assertThat(RolloutStatusRules.hasRolloutStatus(null)).isFalse();
  }

  @Test
  void evaluatesAGenericDeploymentLikeATypedOne() {
    GenericKubernetesResource deployment =
        generic(
            """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: team, generation: 4}
            spec: {replicas: 3}
            status:
              observedGeneration: 4
              replicas: 3
              updatedReplicas: 3
              availableReplicas: 1
            """);
    assertThat(RolloutStatusRules.evaluate(deployment))
        .isEqualTo(
            RolloutStatus.waiting(
                "Waiting for deployment \"web\" rollout to finish: 1 of 3 updated replicas are"
                    + " available..."));
  }

  @Test
  void evaluatesAGenericStatefulSetAndDaemonSet() {
    GenericKubernetesResource statefulSet =
        generic(
            """
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {name: db, generation: 2}
            spec: {replicas: 2, updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 1}}}
            status: {observedGeneration: 2, readyReplicas: 2, updatedReplicas: 0}
            """);
    assertThat(RolloutStatusRules.evaluate(statefulSet))
        .isEqualTo(
            RolloutStatus.waiting(
                "Waiting for partitioned roll out to finish: 0 out of 1 new pods have been"
                    + " updated..."));
    GenericKubernetesResource daemonSet =
        generic(
            """
            apiVersion: apps/v1
            kind: DaemonSet
            metadata: {name: agent, generation: 1}
            status: {observedGeneration: 1, desiredNumberScheduled: 2, updatedNumberScheduled: 2,
              numberAvailable: 2}
            """);
    assertThat(RolloutStatusRules.evaluate(daemonSet))
        .isEqualTo(RolloutStatus.done("daemon set \"agent\" successfully rolled out"));
  }

  @Test
  void refusesKindsWithoutRolloutStatusNamingTheObject() {
    assertThatThrownBy(
            () ->
                RolloutStatusRules.evaluate(
                    new ServiceBuilder().withNewMetadata().withName("web").endMetadata().build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Service \"web\"")
        .hasMessageContaining("Deployment, StatefulSet and DaemonSet");
    assertThatThrownBy(() -> RolloutStatusRules.evaluate(null))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
