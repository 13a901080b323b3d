package io.k8sci.rbac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.k8sci.K8sciException;
import io.k8sci.cluster.ClusterConnection;
import io.k8sci.cluster.ServerSideApplier;
import io.k8sci.manifest.ManifestRenderRequest;
import io.k8sci.manifest.ManifestRenderer;
import io.k8sci.rollout.RolloutWatcher;
import io.k8sci.rollout.RolloutWatcher.Result;
import io.k8sci.rollout.RolloutWatcher.Target;
import io.k8sci.testing.RecordingBuildLog;
import io.k8sci.testing.kube.ApiRequest;
import io.k8sci.testing.kube.SimulatedDeploymentController;
import io.k8sci.testing.kube.TestApiServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The administrator's path end to end: k8sci:rbac -Dk8sci.apply, k8sci:kubeconfig, then a rollout
 * that authenticates with nothing but the written kubeconfig, on a server that accepts only issued
 * tokens and only calls into the namespace.
 */
class DeployWithGeneratedKubeconfigTest {

  static final String NS = "team-a";

  static final String MANIFESTS =
      """
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: web-config}
      data: {value: "1"}
      ---
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web}
      spec:
        replicas: 2
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec:
            containers:
            - {name: app, image: "registry.example/team/web:1.0"}
      """;

  @TempDir Path dir;
  TestApiServer server;
  SimulatedDeploymentController controller;
  final RecordingBuildLog log = new RecordingBuildLog();

  @BeforeEach
  void start() {
    server = TestApiServer.start();
    controller = SimulatedDeploymentController.start(server);
  }

  @AfterEach
  void stop() {
    controller.close();
    server.close();
    assertThat(controller.errors()).isEmpty();
  }

  @Test
  void aRolloutAuthenticatedOnlyWithTheGeneratedKubeconfigSucceedsWithinTheNamespace()
      throws Exception {
    Path manifests = Files.createDirectories(dir.resolve("k8s"));
    Files.writeString(manifests.resolve("app.yaml"), MANIFESTS);
    List<HasMetadata> objects =
        new ManifestRenderer()
            .render(ManifestRenderRequest.builder(manifests, NS).pinDigest(false).build())
            .objects();

    // the administrator, with their own credentials
    RbacPlan plan = RbacPlan.builder(NS).objects(objects).build();
    Path kubeconfig;
    try (ClusterConnection admin =
        ClusterConnection.builder()
            .server(server.url())
            .token(TestApiServer.TOKEN)
            .namespace(NS)
            .requestRetries(0)
            .log(log)
            .build()) {
      new RbacApplier(admin, log).apply(plan);
      kubeconfig =
          new KubeconfigWriter(admin, log)
              .write(KubeconfigRequest.builder(NS, dir.resolve("target/k8sci/kubeconfig")).build())
              .file();
    }

    // the CI job: nothing but the kubeconfig file; only issued tokens, only the namespace
    server.restrictToNamespace(NS);
    server.authenticateIssuedTokensOnly();
    server.clearRequests();
    try (ClusterConnection ci =
        ClusterConnection.builder()
            .kubeconfig(List.of(kubeconfig))
            .environment(Map.of())
            .log(log)
            .build()) {
      assertThat(ci.namespace()).isEqualTo(NS);
      assertThat(ci.namespaceOrigin()).isEqualTo("context");
      assertThat(ci.identity()).isEqualTo("system:serviceaccount:team-a:k8sci-deployer");

      ServerSideApplier.Report report =
          new ServerSideApplier(ci.client(), ci.namespace(), log)
              .identity(ci.identity())
              .apply(objects);
      List<Result> results =
          new RolloutWatcher(ci.client(), ci.namespace(), log)
              .timeout(Duration.ofSeconds(30))
              .watch(
                  report.applied().stream()
                      .filter(a -> a.ref().kind().equals("Deployment"))
                      .map(a -> Target.of(a.live(), a.before()))
                      .toList());

      assertThat(results).singleElement().satisfies(r -> assertThat(r.succeeded()).isTrue());
    }
    assertThat(log.info())
        .contains("deployment.apps/web: deployment \"web\" successfully rolled out");
    List<ApiRequest> made = server.requests();
    assertThat(made).isNotEmpty();
    assertThat(made).filteredOn(ApiRequest::clusterScoped).isEmpty();
    assertThat(made)
        .filteredOn(r -> !r.nonResource())
        .allSatisfy(r -> assertThat(r.namespace()).isEqualTo(NS));
    assertThat(server.authorizationChecks())
        .filteredOn(r -> !r.nonResource())
        .allSatisfy(
            r ->
                assertThat(
                        PolicyRules.allows(
                            plan.rules(),
                            r.verb(),
                            r.group(),
                            r.resource(),
                            r.subresource(),
                            r.name()))
                    .as("%s allowed by the generated Role", r)
                    .isTrue());

    // control: the server really refuses a token it did not issue
    try (ClusterConnection other =
        ClusterConnection.builder()
            .server(server.url())
            .token(TestApiServer.TOKEN)
            .namespace(NS)
            .requestRetries(0)
            .build()) {
      assertThatThrownBy(
              () -> new ServerSideApplier(other.client(), NS, log).apply(objects.subList(0, 1)))
          .isInstanceOf(K8sciException.class)
          .hasMessageStartingWith("unauthorized");
    }
  }
}
