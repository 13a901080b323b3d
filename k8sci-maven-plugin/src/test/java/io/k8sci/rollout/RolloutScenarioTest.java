package io.k8sci.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.k8sci.K8sciException;
import io.k8sci.cluster.AppliedObject;
import io.k8sci.cluster.ApplyResult;
import io.k8sci.cluster.ClusterConnection;
import io.k8sci.cluster.Rollback;
import io.k8sci.cluster.ServerSideApplier;
import io.k8sci.rollout.RolloutWatcher.Outcome;
import io.k8sci.rollout.RolloutWatcher.Result;
import io.k8sci.rollout.RolloutWatcher.Target;
import io.k8sci.testing.RecordingBuildLog;
import io.k8sci.testing.kube.ApiRequest;
import io.k8sci.testing.kube.SimulatedDeploymentController;
import io.k8sci.testing.kube.TestApiServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The rollout end to end against {@link TestApiServer} + {@link SimulatedDeploymentController}:
 * apply, watch, diagnose, roll back, undo — asserting what a user reads in the job log.
 */
class RolloutScenarioTest {

  static final String NS = "team-a";
  static TestApiServer server;
  SimulatedDeploymentController controller;
  ClusterConnection connection;
  RecordingBuildLog log;

  @BeforeAll
  static void startServer() {
    server = TestApiServer.start();
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @BeforeEach
  void setUp() {
    server.reset();
    controller = SimulatedDeploymentController.start(server);
    log = new RecordingBuildLog();
    connection =
        ClusterConnection.builder()
            .server(server.url())
            .token(TestApiServer.TOKEN)
            .namespace(NS)
            .requestRetries(0)
            .log(log)
            .build();
  }

  @AfterEach
  void tearDown() {
    connection.close();
    controller.close();
    assertThat(controller.errors()).isEmpty();
  }

  // ------------------------------------------------------------------ fixtures

  static Deployment deployment(String name, String image, int replicas) {
    return new DeploymentBuilder()
        .withNewMetadata()
        .withName(name)
        .addToLabels("app", name)
        .endMetadata()
        .withNewSpec()
        .withReplicas(replicas)
        .withNewSelector()
        .addToMatchLabels("app", name)
        .endSelector()
        .withNewTemplate()
        .withNewMetadata()
        .addToLabels("app", name)
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("app")
        .withImage(image)
        .endContainer()
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  static HasMetadata configMap(String name, String value) {
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .addToData("value", value)
        .build();
  }

  ServerSideApplier applier() {
    return new ServerSideApplier(connection.client(), NS, log).identity(connection.identity());
  }

  RolloutWatcher watcher() {
    return new RolloutWatcher(connection.client(), NS, log).timeout(Duration.ofSeconds(20));
  }

  List<Result> applyAndWatch(List<HasMetadata> objects) {
    ServerSideApplier.Report report = applier().apply(objects);
    return watcher().watch(targets(report.applied()));
  }

  static List<Target> targets(List<AppliedObject> applied) {
    return applied.stream()
        .filter(a -> RolloutStatusRules.hasRolloutStatus(a.live()))
        .map(a -> Target.of(a.live(), a.before()))
        .collect(Collectors.toList());
  }

  /** Messages the watcher logged for a workload, in order. */
  List<String> messages(String workload) {
    return log.infoWithPrefix(workload + ": ");
  }

  static String waiting(String name, String rest) {
    return "Waiting for deployment \"" + name + "\" rollout to finish: " + rest;
  }

  /** Every message kubectl can print for a 2-replica rollout, in the order they can appear. */
  static List<String> possibleMessages(String name, int replicas, boolean update) {
    List<String> m = new ArrayList<>();
    m.add("Waiting for deployment spec update to be observed...");
    for (int u = 0; u < replicas; u++) {
      m.add(waiting(name, u + " out of " + replicas + " new replicas have been updated..."));
    }
    if (update) {
      for (int old = replicas; old >= 1; old--) {
        m.add(waiting(name, old + " old replicas are pending termination..."));
      }
    }
    for (int a = 0; a < replicas; a++) {
      m.add(waiting(name, a + " of " + replicas + " updated replicas are available..."));
    }
    m.add("deployment \"" + name + "\" successfully rolled out");
    return m;
  }

  // ------------------------------------------------------------------ apply results

  @Test
  void firstDeployIsCreatedAndRollsOutWithKubectlMessagesEachOnceInOrder() {
    List<Result> results =
        applyAndWatch(List.of(configMap("web-config", "a"), deployment("web", "web:1", 2)));

    assertThat(log.info()).contains("configmap/web-config created", "deployment.apps/web created");
    assertThat(results).hasSize(1);
    Result r = results.get(0);
    assertThat(r.outcome()).isEqualTo(Outcome.SUCCEEDED);
    assertThat(r.message()).isEqualTo("deployment \"web\" successfully rolled out");
    assertThat(r.revisionBefore()).isNull();
    assertThat(r.revisionAfter()).isEqualTo("1");
    List<String> seen = messages("deployment.apps/web");
    assertThat(seen).doesNotHaveDuplicates();
    assertThat(seen).last().isEqualTo("deployment \"web\" successfully rolled out");
    assertThat(seen.size()).isGreaterThanOrEqualTo(3);
    assertThat(possibleMessages("web", 2, false)).containsSubsequence(seen);
  }

  @Test
  void updateIsConfiguredAndRollsThroughOldReplicasStepByStep() {
    applyAndWatch(List.of(deployment("web", "web:1", 3)));
    log.clear();

    List<Result> results = applyAndWatch(List.of(deployment("web", "web:2", 3)));

    assertThat(log.info()).contains("deployment.apps/web configured");
    Result r = results.get(0);
    assertThat(r.outcome()).isEqualTo(Outcome.SUCCEEDED);
    assertThat(r.revisionBefore()).isEqualTo("1");
    assertThat(r.revisionAfter()).isEqualTo("2");
    List<String> seen = messages("deployment.apps/web");
    assertThat(seen)
        .doesNotHaveDuplicates()
        .last()
        .isEqualTo("deployment \"web\" successfully rolled out");
    assertThat(possibleMessages("web", 3, true)).containsSubsequence(seen);
    // a rolling update shows intermediate states, not only the verdict
    assertThat(seen.size()).isGreaterThanOrEqualTo(4);
    assertThat(seen)
        .anyMatch(
            m ->
                m.contains("old replicas are pending termination")
                    || m.contains("new replicas have been updated"));
  }

  @Test
  void reApplyingTheSameManifestIsUnchangedAndDoneAtOnce() {
    List<HasMetadata> objects =
        List.of(configMap("web-config", "a"), deployment("web", "web:1", 1));
    applyAndWatch(objects);
    log.clear();

    ServerSideApplier.Report report = applier().apply(objects);
    assertThat(report.applied())
        .extracting(AppliedObject::result)
        .containsOnly(ApplyResult.UNCHANGED);
    assertThat(log.info())
        .containsExactly("configmap/web-config unchanged", "deployment.apps/web unchanged");
    List<Result> results = watcher().watch(targets(report.applied()));
    assertThat(results.get(0).outcome()).isEqualTo(Outcome.SUCCEEDED);
    assertThat(messages("deployment.apps/web"))
        .containsExactly("deployment \"web\" successfully rolled out");
  }

  // ------------------------------------------------------------------ failures

  @Test
  void imageThatCannotBePulledFailsEarlyAndIsExplained() {
    Result r =
        applyAndWatch(List.of(deployment("web", "registry.example/web:1-unpullable", 2))).get(0);

    assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(r.message())
        .startsWith("deployment \"web\" rollout failed: pod web-")
        .contains(
            "container \"app\" is in ImagePullBackOff: Back-off pulling image \"registry.example/web:1-unpullable\"");

    String diagnosis = new FailureDiagnosis(connection.client(), NS).diagnose(r.lastSeen());
    String pod =
        server.client().pods().inNamespace(NS).list().getItems().get(0).getMetadata().getName();
    assertThat(diagnosis)
        .contains("deployment \"web\" revision 1")
        .contains("Pod " + pod)
        .contains("State:         Waiting (ImagePullBackOff)")
        .contains(
            "Failed: Failed to pull image \"registry.example/web:1-unpullable\": rpc error: code ="
                + " NotFound")
        .contains("Failed: Error: ImagePullBackOff");
  }

  @Test
  void crashLoopingContainerFailsWithExitCodeAndLogTail() {
    Result r = applyAndWatch(List.of(deployment("web", "web:1-crashloop", 1))).get(0);

    assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(r.message())
        .contains("is in CrashLoopBackOff after ")
        .contains("(last exit: Error, exit code 1)");
    String diagnosis = new FailureDiagnosis(connection.client(), NS).diagnose(r.lastSeen());
    assertThat(diagnosis)
        .contains("State:         Waiting (CrashLoopBackOff)")
        .contains("Last State:    Terminated (Error), exit code 1")
        .containsPattern("Restart Count: [2-9]")
        .contains("BackOff: Back-off restarting failed container app in pod web-")
        .contains("log lines of container app (previous instance):")
        .contains("    | java.lang.IllegalStateException: DATABASE_URL is not set");
  }

  @Test
  void oomKilledContainerIsExplained() {
    Result r = applyAndWatch(List.of(deployment("web", "web:1-oomkilled", 1))).get(0);

    assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(r.message()).contains("(last exit: OOMKilled, exit code 137)");
    assertThat(new FailureDiagnosis(connection.client(), NS).diagnose(r.lastSeen()))
        .contains(
            "Last State:    Terminated (OOMKilled), exit code 137 — the container exceeded its"
                + " memory limit");
  }

  @Test
  void progressDeadlineExceededFailsWithKubectlsMessage() {
    Deployment d = deployment("web", "web:1-never-ready", 1);
    // 1 s in the simulation: long enough for the pod to run and its probe to fail, even on a
    // loaded machine.
    d.getSpec().setProgressDeadlineSeconds(100);
    Result r = applyAndWatch(List.of(d)).get(0);

    assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(r.message()).isEqualTo("deployment \"web\" exceeded its progress deadline");
    assertThat(new FailureDiagnosis(connection.client(), NS).diagnose(r.lastSeen()))
        .contains("0 of 1 new pods ready")
        .contains("Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 503");
  }

  @Test
  void timeoutNamesTheWorkloadAndItsLastStatus() {
    ServerSideApplier.Report report =
        applier().apply(List.of(deployment("web", "web:1-never-ready", 1)));
    // Let the controller reach its final state (pod updated, never available) first, so the
    // short timeout below cannot end on an earlier message when the machine is slow.
    server
        .client()
        .apps()
        .deployments()
        .inNamespace(NS)
        .withName("web")
        .waitUntilCondition(
            d ->
                d != null
                    && d.getStatus() != null
                    && Integer.valueOf(1).equals(d.getStatus().getUpdatedReplicas()),
            30,
            java.util.concurrent.TimeUnit.SECONDS);
    Result r = watcher().timeout(Duration.ofMillis(800)).watch(targets(report.applied())).get(0);

    assertThat(r.outcome()).isEqualTo(Outcome.TIMED_OUT);
    assertThat(r.message())
        .isEqualTo(
            "timed out waiting for deployment \"web\" rollout to finish: "
                + waiting("web", "0 of 1 updated replicas are available..."));
  }

  @Test
  void rollbackRestoresThePreviousImageDeletesNewObjectsAndIsWatched() {
    applyAndWatch(List.of(configMap("web-config", "v1"), deployment("web", "web:1", 2)));
    log.clear();

    ServerSideApplier.Report report =
        applier()
            .apply(
                List.of(
                    configMap("web-config", "v2"),
                    configMap("web-extra", "new"),
                    deployment("web", "web:2-unpullable", 2)));
    Result failed = watcher().watch(targets(report.applied())).get(0);
    assertThat(failed.outcome()).isEqualTo(Outcome.FAILED);

    Rollback.Result rb = new Rollback(connection.client(), NS, log).restore(report.applied());
    assertThat(log.info())
        .containsSubsequence(
            "rollback: deployment.apps/web restored to its previous content",
            "rollback: configmap/web-extra deleted (it did not exist before this rollout)",
            "rollback: configmap/web-config restored to its previous content");
    assertThat(rb.restoredWorkloads()).hasSize(1);

    Result after =
        watcher()
            .watch(List.of(Target.of(rb.restoredWorkloads().get(0), failed.lastSeen())))
            .get(0);
    assertThat(after.outcome()).isEqualTo(Outcome.SUCCEEDED);
    assertThat(after.revisionAfter()).isEqualTo("3"); // the old ReplicaSet reused as revision 3
    var live = server.client().apps().deployments().inNamespace(NS).withName("web").get();
    assertThat(live.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
        .isEqualTo("web:1");
    assertThat(server.client().configMaps().inNamespace(NS).withName("web-extra").get()).isNull();
    assertThat(server.client().configMaps().inNamespace(NS).withName("web-config").get().getData())
        .containsEntry("value", "v1");
  }

  @Test
  void twoWorkloadsAreWatchedConcurrently() {
    List<Result> results =
        applyAndWatch(List.of(deployment("web", "web:1", 2), deployment("api", "api:1-slow", 1)));

    assertThat(results).extracting(Result::outcome).containsOnly(Outcome.SUCCEEDED);
    assertThat(messages("deployment.apps/web"))
        .last()
        .isEqualTo("deployment \"web\" successfully rolled out");
    assertThat(messages("deployment.apps/api"))
        .last()
        .isEqualTo("deployment \"api\" successfully rolled out");
    assertThat(possibleMessages("api", 1, false))
        .containsSubsequence(messages("deployment.apps/api"));
  }

  @Test
  void undoRollsBackToThePreviousRevisionAndTheCallerWatchesIt() {
    applyAndWatch(List.of(deployment("web", "web:1", 1)));
    applyAndWatch(List.of(deployment("web", "web:2", 1)));
    log.clear();

    Undo.Result undo = new Undo(connection.client(), NS, log).undo("web", null);
    assertThat(undo.fromRevision()).isEqualTo(2);
    assertThat(undo.toRevision()).isEqualTo(1);
    assertThat(log.info())
        .contains("deployment.apps/web rolled back from revision 2 to revision 1");
    Result r = watcher().watch(List.of(Target.of(undo.after(), undo.before()))).get(0);
    assertThat(r.outcome()).isEqualTo(Outcome.SUCCEEDED);
    assertThat(r.revisionAfter()).isEqualTo("3");
    assertThat(
            server
                .client()
                .apps()
                .deployments()
                .inNamespace(NS)
                .withName("web")
                .get()
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0)
                .getImage())
        .isEqualTo("web:1");
  }

  @Test
  void undoWithoutPreviousRevisionSaysSo() {
    applyAndWatch(List.of(deployment("web", "web:1", 1)));
    assertThatThrownBy(() -> new Undo(connection.client(), NS, log).undo("web", null))
        .isInstanceOf(K8sciException.class)
        .hasMessageStartingWith(
            "deployment \"web\" has no previous revision to roll back to (current revision 1");
  }

  // ------------------------------------------------------------------ permissions and faults

  @Test
  void aServiceAccountLimitedToOneNamespaceIsEnough() {
    server.restrictToNamespace(NS);
    Result r =
        applyAndWatch(List.of(configMap("c", "x"), deployment("web", "web:1-crashloop", 1))).get(0);
    new FailureDiagnosis(connection.client(), NS).diagnose(r.lastSeen());
    new Rollback(connection.client(), NS, log)
        .restore(applier().apply(List.of(configMap("c", "y"))).applied());

    List<ApiRequest> made = server.requests();
    assertThat(made).isNotEmpty();
    assertThat(made).filteredOn(ApiRequest::clusterScoped).isEmpty();
    assertThat(made).filteredOn(q -> !q.nonResource()).allMatch(q -> NS.equals(q.namespace()));
    assertThat(made).extracting(ApiRequest::verb).contains("get", "patch", "list", "watch");
  }

  @Test
  void conflictAndServerErrorAreRetriedOnce() {
    server.failNext("patch", "deployments.apps", 1, 409);
    server.failNext("patch", "configmaps", 1, 500);
    ServerSideApplier.Report report =
        applier()
            .backoff(Duration.ofMillis(10))
            .apply(List.of(configMap("c", "x"), deployment("web", "web:1", 1)));

    assertThat(report.applied())
        .extracting(AppliedObject::result)
        .containsOnly(ApplyResult.CREATED);
    assertThat(server.requests(q -> q.verb().equals("patch"))).hasSize(4);
    assertThat(log.lines())
        .anyMatch(l -> l.startsWith("WARN configmap/c: HTTP 500 from the API server, retrying"))
        .anyMatch(
            l ->
                l.startsWith(
                    "WARN deployment.apps/web: 409 Conflict from the API server, retrying"));
  }

  @Test
  void forbiddenNamesVerbResourceNamespaceAndIdentity() {
    server.failNext("patch", "deployments.apps", 1, 403);
    assertThatThrownBy(
            () ->
                applier()
                    .identity("system:serviceaccount:team-a:deployer")
                    .apply(List.of(deployment("web", "web:1", 1))))
        .isInstanceOf(K8sciException.class)
        .hasMessageStartingWith(
            "forbidden: cannot patch deployments.apps \"web\" in namespace \"team-a\" — the deploy"
                + " identity (system:serviceaccount:team-a:deployer) needs verb \"patch\" on"
                + " \"deployments\" in group \"apps\" in that namespace; see k8sci:rbac.");
  }

  @Test
  void clusterScopedAndForeignNamespaceObjectsAreRefusedBeforeAnythingIsApplied() {
    var ns =
        new io.fabric8.kubernetes.api.model.NamespaceBuilder()
            .withNewMetadata()
            .withName("x")
            .endMetadata()
            .build();
    assertThatThrownBy(() -> applier().apply(List.of(configMap("c", "x"), ns)))
        .hasMessage(
            "namespace/x is cluster-scoped: k8sci:rollout only applies namespaced objects"
                + " (namespace \"team-a\"); create Namespace objects out of band with cluster-admin"
                + " rights");
    HasMetadata foreign = configMap("d", "x");
    foreign.getMetadata().setNamespace("team-b");
    assertThatThrownBy(() -> applier().apply(List.of(foreign)))
        .hasMessageContaining(
            "sets metadata.namespace \"team-b\" but this rollout deploys into namespace \"team-a\"");
    assertThat(server.requests()).isEmpty();
  }
}
