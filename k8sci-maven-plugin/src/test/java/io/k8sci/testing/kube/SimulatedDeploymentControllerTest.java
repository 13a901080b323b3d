package io.k8sci.testing.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

class SimulatedDeploymentControllerTest {

  static void await(BooleanSupplier condition) throws InterruptedException {
    Instant end = Instant.now().plus(Duration.ofSeconds(15));
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(end)) {
        throw new AssertionError("condition not met within 15 s");
      }
      Thread.sleep(20);
    }
  }

  static boolean complete(KubernetesClient c) {
    Deployment d = c.apps().deployments().inNamespace("team-a").withName("web").get();
    return d.getStatus() != null
        && d.getStatus().getConditions() != null
        && d.getStatus().getConditions().stream()
            .anyMatch(x -> "NewReplicaSetAvailable".equals(x.getReason()))
        && d.getMetadata().getGeneration().equals(d.getStatus().getObservedGeneration());
  }

  @Test
  void behavesLikeTheDeploymentControllerIncludingRevisionsAndRollback() throws Exception {
    try (TestApiServer server = TestApiServer.start();
        SimulatedDeploymentController controller = SimulatedDeploymentController.start(server)) {
      KubernetesClient c = server.client();
      c.resource(TestApiServerTest.deployment("app:1")).serverSideApply();
      await(() -> complete(c));
      c.resource(TestApiServerTest.deployment("app:2"))
          .fieldManager("t")
          .forceConflicts()
          .serverSideApply();
      await(() -> complete(c) && c.pods().inNamespace("team-a").list().getItems().size() == 2);
      c.resource(TestApiServerTest.deployment("app:1"))
          .fieldManager("t")
          .forceConflicts()
          .serverSideApply();
      await(() -> complete(c) && c.pods().inNamespace("team-a").list().getItems().size() == 2);

      Deployment d = c.apps().deployments().inNamespace("team-a").withName("web").get();
      List<ReplicaSet> rs = c.apps().replicaSets().inNamespace("team-a").list().getItems();
      assertThat(rs).hasSize(2); // the rollback reused the first ReplicaSet
      ReplicaSet current =
          rs.stream().filter(r -> r.getSpec().getReplicas() == 2).findFirst().orElseThrow();
      String hash = current.getMetadata().getLabels().get("pod-template-hash");
      assertThat(current.getMetadata().getName()).isEqualTo("web-" + hash);
      assertThat(current.getMetadata().getAnnotations())
          .containsEntry("deployment.kubernetes.io/revision", "3");
      assertThat(d.getMetadata().getAnnotations())
          .containsEntry("deployment.kubernetes.io/revision", "3");
      assertThat(current.getMetadata().getOwnerReferences().get(0).getUid())
          .isEqualTo(d.getMetadata().getUid());
      assertThat(current.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
          .isEqualTo("app:1");
      assertThat(c.pods().inNamespace("team-a").list().getItems())
          .allSatisfy(
              p -> {
                assertThat(p.getMetadata().getLabels()).containsEntry("pod-template-hash", hash);
                assertThat(p.getMetadata().getOwnerReferences().get(0).getName())
                    .isEqualTo(current.getMetadata().getName());
              });
      assertThat(d.getStatus().getUpdatedReplicas()).isEqualTo(2);
      assertThat(d.getStatus().getAvailableReplicas()).isEqualTo(2);
      assertThat(d.getStatus().getReplicas()).isEqualTo(2);

      c.apps().deployments().inNamespace("team-a").withName("web").delete();
      await(
          () ->
              c.apps().replicaSets().inNamespace("team-a").list().getItems().isEmpty()
                  && c.pods().inNamespace("team-a").list().getItems().isEmpty());
      assertThat(controller.errors()).isEmpty();
    }
  }

  @Test
  void recordsWhenItWroteTheStatusThatCompletesARollout() throws Exception {
    try (TestApiServer server = TestApiServer.start();
        SimulatedDeploymentController controller = SimulatedDeploymentController.start(server)) {
      KubernetesClient c = server.client();
      c.resource(TestApiServerTest.deployment("app:never-ready")).serverSideApply();
      await(
          () ->
              c.pods().inNamespace("team-a").list().getItems().stream()
                  .anyMatch(
                      p -> p.getStatus() != null && "Running".equals(p.getStatus().getPhase())));
      long stuck = generation(c);
      assertThat(controller.completedAt("team-a", "web", stuck)).isEmpty();

      c.resource(TestApiServerTest.deployment("app:2"))
          .fieldManager("t")
          .forceConflicts()
          .serverSideApply();
      await(() -> complete(c));
      long seen = System.nanoTime();

      long rolledOut = generation(c);
      assertThat(rolledOut).isGreaterThan(stuck);
      assertThat(controller.completedAt("team-a", "web", rolledOut)).isPresent();
      assertThat(controller.completedAt("team-a", "web", rolledOut).getAsLong()).isLessThan(seen);
      assertThat(controller.completedAt("team-a", "web", stuck)).isEmpty();
      assertThat(controller.completedAt("team-a", "other", rolledOut)).isEmpty();
      assertThat(controller.errors()).isEmpty();
    }
  }

  static long generation(KubernetesClient c) {
    return c.apps()
        .deployments()
        .inNamespace("team-a")
        .withName("web")
        .get()
        .getMetadata()
        .getGeneration();
  }
}
