package io.k8sci.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.k8sci.K8sciException;
import io.k8sci.cluster.ClusterConnection;
import io.k8sci.image.ImageRecord;
import io.k8sci.testing.RecordingBuildLog;
import io.k8sci.testing.kube.ApiRequest;
import io.k8sci.testing.kube.SimulatedDeploymentController;
import io.k8sci.testing.kube.TestApiServer;
import io.k8sci.testing.kube.TestManifests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole {@code k8sci:rollout} sequence from manifest files on disk to a finished (or rolled
 * back) rollout, against the test API server and its simulated deployment controller.
 */
class RolloutServiceTest {

  static final String NS = "team-a";
  static final String REPO = "registry.example.com:5000/team/web";
  static final String DIGEST = "sha256:" + "ab".repeat(32);
  static TestApiServer server;

  SimulatedDeploymentController controller;
  RecordingBuildLog log;
  @TempDir Path work;
  Path manifests;
  Path output;

  @BeforeAll
  static void startServer() {
    server = TestApiServer.start();
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @BeforeEach
  void setUp() throws IOException {
    server.reset();
    controller = SimulatedDeploymentController.start(server);
    log = new RecordingBuildLog();
    manifests = Files.createDirectories(work.resolve("manifests"));
    output = work.resolve("target/k8sci");
  }

  @AfterEach
  void tearDown() {
    controller.close();
  }

  static String deploymentYaml(String name, String image) {
    return TestManifests.deploymentYaml(name, image, 2);
  }

  static final String SERVICE_YAML =
      """
      apiVersion: v1
      kind: Service
      metadata:
        name: web
      spec:
        selector:
          app: web
        ports:
          - port: 80
            targetPort: 8080
      """;

  RolloutRequest request(Optional<String> image, boolean rollback, boolean dryRun) {
    return new RolloutRequest(
        manifests,
        Optional.of(output.resolve("image.json")),
        image,
        true,
        Map.of(),
        Map.of(),
        "1.0.0",
        false,
        ClusterConnection.builder()
            .server(server.url())
            .token(TestApiServer.TOKEN)
            .namespace(NS)
            .requestRetries(0),
        Optional.of(NS),
        Duration.ofSeconds(30),
        true,
        rollback,
        dryRun,
        output,
        log);
  }

  void recordImage(String tag) {
    new ImageRecord(
            REPO + ":" + tag,
            REPO,
            tag,
            DIGEST,
            "sha256:" + "cd".repeat(32),
            List.of(tag),
            true,
            null,
            List.of(),
            "jlink",
            null,
            "1970-01-01T00:00:00Z",
            1)
        .write(output);
  }

  Deployment live(String name) {
    return server.client().apps().deployments().inNamespace(NS).withName(name).get();
  }

  @Test
  void pipelinePlaceholderIsReplacedDigestPinnedAppliedInOrderAndWatched() throws IOException {
    recordImage("1.4.2");
    Files.writeString(
        manifests.resolve("deployment.yaml"),
        deploymentYaml("web", REPO + ":__IMAGE_VERSION_SLUG__"));
    Files.writeString(manifests.resolve("service.yaml"), SERVICE_YAML);

    RolloutReport report = new RolloutService().run(request(Optional.empty(), true, false));

    assertThat(live("web").getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
        .isEqualTo(REPO + ":1.4.2@" + DIGEST);
    // The Service goes before the Deployment although its file sorts after.
    assertThat(log.info())
        .containsSubsequence("service/web created", "deployment.apps/web created")
        .contains("deployment.apps/web: deployment \"web\" successfully rolled out");
    assertThat(report.outcome()).isEqualTo(RolloutReport.Outcome.SUCCEEDED);
    RolloutReport written = RolloutReport.read(output.resolve("rollout.json"));
    assertThat(written.objects())
        .containsExactly(
            new RolloutReport.AppliedEntry("service/web", "created"),
            new RolloutReport.AppliedEntry("deployment.apps/web", "created"));
    assertThat(written.workloads())
        .singleElement()
        .satisfies(
            w -> {
              assertThat(w.workload()).isEqualTo("deployment.apps/web");
              assertThat(w.outcome()).isEqualTo("SUCCEEDED");
              assertThat(w.revisionAfter()).isEqualTo("1");
            });
    assertThat(written.image()).isEqualTo(REPO + ":1.4.2@" + DIGEST);
  }

  @Test
  void unresolvedPlaceholderAppliesNothingAndNamesFileAndLine() throws IOException {
    Files.writeString(manifests.resolve("a-service.yaml"), SERVICE_YAML);
    Files.writeString(
        manifests.resolve("b-deployment.yaml"), deploymentYaml("web", "${k8sci.image}"));

    assertThatThrownBy(() -> new RolloutService().run(request(Optional.empty(), true, false)))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining("b-deployment.yaml:19")
        .hasMessageContaining("${k8sci.image}");
    assertThat(server.requests())
        .noneMatch(r -> !r.verb().equals("get") && !r.verb().equals("list"));
    assertThat(server.client().services().inNamespace(NS).withName("web").get()).isNull();
  }

  @Test
  void malformedYamlInTheSecondFileAppliesNothing() throws IOException {
    Files.writeString(manifests.resolve("1-service.yaml"), SERVICE_YAML);
    Files.writeString(
        manifests.resolve("2-broken.yaml"), "apiVersion: v1\nkind: ConfigMap\n  bad: [\n");

    assertThatThrownBy(
            () -> new RolloutService().run(request(Optional.of(REPO + ":1"), true, false)))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining("2-broken.yaml:");
    assertThat(server.requests()).extracting(ApiRequest::verb).doesNotContain("patch", "create");
    assertThat(server.client().services().inNamespace(NS).withName("web").get()).isNull();
  }

  @Test
  void failedRolloutIsExplainedRolledBackAndRecorded() throws IOException {
    Files.writeString(manifests.resolve("deployment.yaml"), deploymentYaml("web", REPO + ":good"));
    new RolloutService().run(request(Optional.empty(), true, false));
    Files.writeString(
        manifests.resolve("cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  a: b\n");
    Files.writeString(
        manifests.resolve("deployment.yaml"), deploymentYaml("web", REPO + ":unpullable"));

    assertThatThrownBy(() -> new RolloutService().run(request(Optional.empty(), true, false)))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining("Rollout failed in namespace \"team-a\"")
        .hasMessageContaining("ImagePullBackOff")
        .hasMessageContaining("Rolled back: the previous version is live again.");

    assertThat(live("web").getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
        .isEqualTo(REPO + ":good");
    assertThat(server.client().configMaps().inNamespace(NS).withName("extra").get()).isNull();
    RolloutReport report = RolloutReport.read(output.resolve("rollout.json"));
    assertThat(report.outcome()).isEqualTo(RolloutReport.Outcome.FAILED);
    assertThat(report.rolledBack()).isTrue();
    assertThat(report.failure()).contains("ImagePullBackOff");
  }

  @Test
  void rolloutJsonRecordsTheAppliedObjectsWhileTheRolloutIsWatched() throws Exception {
    Files.writeString(manifests.resolve("deployment.yaml"), deploymentYaml("web", REPO + ":slow"));
    java.util.concurrent.CompletableFuture<RolloutReport> running =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> new RolloutService().run(request(Optional.empty(), true, false)));

    RolloutReport during = null;
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (during == null && System.nanoTime() < deadline) {
      if (Files.isRegularFile(output.resolve("rollout.json"))) {
        during = RolloutReport.read(output.resolve("rollout.json"));
      } else {
        Thread.sleep(5);
      }
    }
    RolloutReport after = running.get(30, java.util.concurrent.TimeUnit.SECONDS);

    assertThat(during).isNotNull();
    assertThat(during.outcome()).isEqualTo(RolloutReport.Outcome.IN_PROGRESS);
    assertThat(during.objects())
        .containsExactly(new RolloutReport.AppliedEntry("deployment.apps/web", "created"));
    assertThat(after.outcome()).isEqualTo(RolloutReport.Outcome.SUCCEEDED);
    assertThat(RolloutReport.read(output.resolve("rollout.json")).outcome())
        .isEqualTo(RolloutReport.Outcome.SUCCEEDED);
  }

  @Test
  void withoutRollbackTheFailedVersionStaysAndTheMessageSaysSo() throws IOException {
    Files.writeString(
        manifests.resolve("deployment.yaml"), deploymentYaml("web", REPO + ":unpullable"));

    assertThatThrownBy(() -> new RolloutService().run(request(Optional.empty(), false, false)))
        .hasMessageContaining("Not rolled back (rollbackOnFailure=false)");
    assertThat(live("web").getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
        .isEqualTo(REPO + ":unpullable");
  }

  @Test
  void dryRunWritesRenderedManifestsAndChangesNothing() throws IOException {
    recordImage("2.0.0");
    Files.writeString(
        manifests.resolve("deployment.yaml"), deploymentYaml("web", "${k8sci.image}"));

    RolloutReport report = new RolloutService().run(request(Optional.empty(), true, true));

    assertThat(report.outcome()).isEqualTo(RolloutReport.Outcome.DRY_RUN);
    assertThat(Files.readString(output.resolve("manifests.yaml")))
        .contains("image: \"" + REPO + ":2.0.0@" + DIGEST + "\"")
        .contains("namespace: \"" + NS + "\"");
    assertThat(live("web")).isNull();
    assertThat(server.requests())
        .filteredOn(r -> r.verb().equals("patch"))
        .isNotEmpty()
        .allSatisfy(r -> assertThat(r.query()).contains("dryRun=All"));
  }

  @Test
  void dryRunWithoutAClusterStillRenders() throws IOException {
    Files.writeString(manifests.resolve("deployment.yaml"), deploymentYaml("web", REPO + ":1"));
    RolloutRequest offline =
        new RolloutRequest(
            manifests,
            Optional.empty(),
            Optional.empty(),
            true,
            Map.of(),
            Map.of("KUBE_NAMESPACE", "from-env"),
            "1.0.0",
            false,
            ClusterConnection.builder().environment(Map.of()).homeDirectory(work),
            Optional.empty(),
            Duration.ofSeconds(5),
            true,
            true,
            true,
            output,
            log);

    new RolloutService().run(offline);

    assertThat(Files.readString(output.resolve("manifests.yaml")))
        .contains("namespace: \"from-env\"");
    assertThat(log.info()).anyMatch(l -> l.startsWith("Dry run without a cluster"));
  }

  @Test
  void unreachableApiServerIsNamedWithWhereTheConnectionCameFrom() throws IOException {
    Files.writeString(manifests.resolve("service.yaml"), SERVICE_YAML);
    int closedPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    RolloutRequest request =
        new RolloutRequest(
            manifests,
            Optional.empty(),
            Optional.of(REPO + ":1"),
            true,
            Map.of(),
            Map.of(),
            "1.0.0",
            false,
            ClusterConnection.builder()
                .server("http://127.0.0.1:" + closedPort)
                .token(TestApiServer.TOKEN)
                .namespace(NS)
                .requestRetries(0),
            Optional.of(NS),
            Duration.ofSeconds(5),
            true,
            true,
            false,
            output,
            log);

    assertThatThrownBy(() -> new RolloutService().run(request))
        .isInstanceOf(K8sciException.class)
        .hasMessageStartingWith(
            "cannot reach the Kubernetes API server (connection refused) to get services \"web\""
                + " in namespace \"team-a\". Check that this job can reach the API server")
        .hasMessageContaining("127.0.0.1:" + closedPort)
        .hasMessageNotContaining(TestApiServer.TOKEN);
  }

  @Test
  void undoRollsTheDeploymentBackToItsPreviousRevisionAndWaitsForIt() throws IOException {
    Files.writeString(manifests.resolve("deployment.yaml"), deploymentYaml("web", REPO + ":1"));
    new RolloutService().run(request(Optional.empty(), true, false));
    Files.writeString(manifests.resolve("deployment.yaml"), deploymentYaml("web", REPO + ":2"));
    new RolloutService().run(request(Optional.empty(), true, false));
    log.clear();

    var result =
        new RolloutService()
            .undo(
                ClusterConnection.builder()
                    .server(server.url())
                    .token(TestApiServer.TOKEN)
                    .namespace(NS)
                    .requestRetries(0),
                "web",
                null,
                Duration.ofSeconds(30),
                log);

    assertThat(result.succeeded()).isTrue();
    assertThat(live("web").getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
        .isEqualTo(REPO + ":1");
    assertThat(log.info())
        .contains("deployment.apps/web rolled back from revision 2 to revision 1")
        .contains("deployment.apps/web: deployment \"web\" successfully rolled out");
  }
}
