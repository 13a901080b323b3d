package io.k8sci.testing.kube;

import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatusBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A test-side stand-in for the StatefulSet and DaemonSet controllers that {@link
 * SimulatedDeploymentController} does not simulate: every StatefulSet and DaemonSet of a namespace
 * whose {@code status.observedGeneration} lags its {@code metadata.generation} is reported fully
 * rolled out at that generation on the next tick (StatefulSet: all replicas ready and updated,
 * {@code currentRevision == updateRevision}; DaemonSet: one node, updated and available). No pods
 * are created.
 *
 * <p>Why: tests that need the watcher to finish for these kinds (e.g. to record every call a
 * rollout makes) without caring about intermediate states. Its requests carry {@link
 * TestApiServer#HARNESS_USER_AGENT} and are not attributed to the code under test.
 */
public final class InstantWorkloadStatus implements AutoCloseable {

  private final KubernetesClient client;
  private final String namespace;
  private final ScheduledExecutorService executor =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "instant-workload-status");
            t.setDaemon(true);
            return t;
          });
  private final List<Throwable> errors = new CopyOnWriteArrayList<>();

  private InstantWorkloadStatus(TestApiServer server, String namespace) {
    this.client =
        server.newClient(TestApiServer.HARNESS_USER_AGENT + "-workload-status", namespace);
    this.namespace = namespace;
  }

  /** Starts ticking every 50 ms. */
  public static InstantWorkloadStatus start(TestApiServer server, String namespace) {
    InstantWorkloadStatus s = new InstantWorkloadStatus(server, namespace);
    s.executor.scheduleWithFixedDelay(s::tick, 0, 50, TimeUnit.MILLISECONDS);
    return s;
  }

  private void tick() {
    try {
      for (StatefulSet s : client.apps().statefulSets().inNamespace(namespace).list().getItems()) {
        Long generation = s.getMetadata().getGeneration();
        if (s.getStatus() != null
            && Objects.equals(s.getStatus().getObservedGeneration(), generation)) {
          continue;
        }
        int replicas = s.getSpec().getReplicas() == null ? 1 : s.getSpec().getReplicas();
        String revision = s.getMetadata().getName() + "-" + generation;
        s.setStatus(
            new StatefulSetStatusBuilder()
                .withObservedGeneration(generation)
                .withReplicas(replicas)
                .withReadyReplicas(replicas)
                .withAvailableReplicas(replicas)
                .withCurrentReplicas(replicas)
                .withUpdatedReplicas(replicas)
                .withCurrentRevision(revision)
                .withUpdateRevision(revision)
                .build());
        updateStatus(s);
      }
      for (DaemonSet d : client.apps().daemonSets().inNamespace(namespace).list().getItems()) {
        Long generation = d.getMetadata().getGeneration();
        if (d.getStatus() != null
            && Objects.equals(d.getStatus().getObservedGeneration(), generation)) {
          continue;
        }
        d.setStatus(
            new DaemonSetStatusBuilder()
                .withObservedGeneration(generation)
                .withDesiredNumberScheduled(1)
                .withCurrentNumberScheduled(1)
                .withUpdatedNumberScheduled(1)
                .withNumberReady(1)
                .withNumberAvailable(1)
                .withNumberMisscheduled(0)
                .build());
        updateStatus(d);
      }
    } catch (RuntimeException e) {
      errors.add(e);
    }
  }

  private void updateStatus(io.fabric8.kubernetes.api.model.HasMetadata o) {
    try {
      client.resource(o).updateStatus();
    } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
      if (e.getCode() != 409 && e.getCode() != 404) {
        throw e; // a conflict or a deletion meanwhile is retried / moot on the next tick
      }
    }
  }

  /** Unexpected failures of the ticks (conflicts and deletions meanwhile excluded). */
  public List<Throwable> errors() {
    return List.copyOf(errors);
  }

  @Override
  public void close() {
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    client.close();
  }
}
