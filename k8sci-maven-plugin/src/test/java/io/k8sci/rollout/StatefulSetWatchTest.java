package io.k8sci.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.k8sci.cluster.ServerSideApplier;
import io.k8sci.testing.RecordingBuildLog;
import io.k8sci.testing.kube.TestApiServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** StatefulSets are not simulated by the controller: the test plays the controller by hand. */
class StatefulSetWatchTest {

  @Test
  void watchesAStatefulSetUntilItsRollingUpdateCompletes() throws Exception {
    try (TestApiServer server = TestApiServer.start();
        KubernetesClient client =
            new KubernetesClientBuilder().withConfig(server.config("team-a")).build()) {
      RecordingBuildLog log = new RecordingBuildLog();
      StatefulSet sts =
          new StatefulSetBuilder()
              .withNewMetadata()
              .withName("db")
              .endMetadata()
              .withNewSpec()
              .withReplicas(2)
              .withServiceName("db")
              .withNewSelector()
              .addToMatchLabels("app", "db")
              .endSelector()
              .withNewTemplate()
              .withNewMetadata()
              .addToLabels("app", "db")
              .endMetadata()
              .withNewSpec()
              .addNewContainer()
              .withName("db")
              .withImage("db:1")
              .endContainer()
              .endSpec()
              .endTemplate()
              .endSpec()
              .build();
      var applied = new ServerSideApplier(client, "team-a", log).apply(List.of(sts)).applied();
      var watching =
          CompletableFuture.supplyAsync(
              () ->
                  new RolloutWatcher(client, "team-a", log)
                      .timeout(Duration.ofSeconds(20))
                      .watch(List.of(RolloutWatcher.Target.of(applied.get(0).live(), null))));
      var ops = server.client().apps().statefulSets().inNamespace("team-a").withName("db");
      for (int ready = 0; ready <= 2; ready++) {
        Thread.sleep(150);
        StatefulSet live = ops.get();
        live.setStatus(
            new StatefulSetStatusBuilder()
                .withObservedGeneration(1L)
                .withReplicas(2)
                .withReadyReplicas(ready)
                .withUpdatedReplicas(2)
                .withCurrentReplicas(2)
                .withCurrentRevision("db-1")
                .withUpdateRevision("db-1")
                .build());
        server.client().resource(live).updateStatus();
      }
      RolloutWatcher.Result r = watching.get().get(0);
      assertThat(r.outcome()).isEqualTo(RolloutWatcher.Outcome.SUCCEEDED);
      assertThat(log.infoWithPrefix("statefulset.apps/db: "))
          .contains("Waiting for 1 pods to be ready...")
          .last()
          // the API server defaults rollingUpdate.partition to 0, so kubectl speaks of a partition
          .isEqualTo("partitioned roll out complete: 2 new pods have been updated...");
    }
  }
}
