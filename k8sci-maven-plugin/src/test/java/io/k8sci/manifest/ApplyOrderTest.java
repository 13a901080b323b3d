package io.k8sci.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ApplyOrderTest {

  @ParameterizedTest
  @CsvSource({
    "Namespace, 0",
    "CustomResourceDefinition, 0",
    "LimitRange, 1",
    "ServiceAccount, 2",
    "Role, 2",
    "RoleBinding, 2",
    "ConfigMap, 3",
    "Secret, 3",
    "PersistentVolumeClaim, 4",
    "Service, 5",
    "Deployment, 6",
    "StatefulSet, 6",
    "DaemonSet, 6",
    "Job, 6",
    "CronJob, 6",
    "ReplicaSet, 6",
    "Pod, 6",
    "Ingress, 7",
    "HorizontalPodAutoscaler, 7",
    "Widget, 7",
  })
  void ranksKinds(String kind, int rank) {
    assertThat(ApplyOrder.rank(kind)).isEqualTo(rank);
  }

  @Test
  void sortsByGroupAndKeepsFileOrderWithinAGroup() {
    List<RenderedManifest> manifests =
        List.of(
            m("Ingress", "web"),
            m("Deployment", "web"),
            m("Service", "web"),
            m("ConfigMap", "b"),
            m("Job", "migrate"),
            m("Secret", "a"),
            m("HorizontalPodAutoscaler", "web"),
            m("PersistentVolumeClaim", "data"),
            m("RoleBinding", "rb"),
            m("ServiceAccount", "sa"),
            m("ConfigMap", "a"),
            m("Namespace", "team"));
    assertThat(ApplyOrder.sort(manifests))
        .extracting(RenderedManifest::displayName)
        .containsExactly(
            "namespace/team",
            "rolebinding/rb",
            "serviceaccount/sa",
            "configmap/b",
            "secret/a",
            "configmap/a",
            "persistentvolumeclaim/data",
            "service/web",
            "deployment/web",
            "job/migrate",
            "ingress/web",
            "horizontalpodautoscaler/web");
  }

  private static RenderedManifest m(String kind, String name) {
    return new RenderedManifest(
        new GenericKubernetesResourceBuilder()
            .withApiVersion("v1")
            .withKind(kind)
            .withNewMetadata()
            .withName(name)
            .endMetadata()
            .build(),
        SourceLocation.of(Path.of("m.yaml"), 1));
  }
}
