package io.k8sci.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.k8sci.deploy.RolloutReport;
import io.k8sci.image.ImageRecord;
import io.k8sci.rbac.PolicyRules;
import io.k8sci.testing.kube.ApiRequest;
import io.k8sci.testing.kube.SimulatedDeploymentController;
import io.k8sci.testing.kube.TestApiServer;
import io.k8sci.testing.podman.Podman;
import io.k8sci.testing.registry.RegistryServer;
import io.k8sci.testing.registry.Skopeo;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A service generated from {@code k8sci-archetype} and taken through its own lifecycle bindings
 * with real {@code mvn} runs: {@code archetype:generate}, then {@code mvn package} (its tests,
 * Boot's repackage, {@code k8sci:image} pushing to a registry over TLS with basic auth), then
 * {@code mvn deploy} ({@code k8sci:rollout} with digest pinning; {@code maven.deploy.skip} in the
 * generated POM keeps the jar out of any Maven repository). The Deployment in the test API server
 * must name the digest {@code skopeo} sees, and that image, pulled and run with podman, must answer
 * its readiness probe.
 *
 * <p>How the build reaches the registry is what a team would configure: the credentials in a {@code
 * settings.xml} {@code <server>} whose id is the registry host, the registry's CA with {@code
 * -Dk8sci.caCertificates}. {@code -Dk8sci.from=jlink} because the image must run and the generated
 * default ({@code eclipse-temurin}) would come from the internet.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ArchetypeServiceTest {

  private static final String NAMESPACE = "shop";
  private static final String CONTEXT = "shop/orders:production";

  @TempDir static Path work;

  private RegistryServer registry;
  private TestApiServer api;
  private SimulatedDeploymentController controller;
  private final Podman podman = new Podman();
  private String pulled;

  @BeforeAll
  void start() {
    registry = RegistryServer.startSecured();
    api = TestApiServer.start();
    controller = SimulatedDeploymentController.start(api);
  }

  @AfterAll
  void stop() {
    if (pulled != null) {
      podman.rmi(pulled);
    }
    if (controller != null) {
      controller.close();
    }
    if (api != null) {
      api.close();
    }
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void generatedServiceIsTestedPushedRolledOutPinnedAndAnswersReadiness() throws Exception {
    // mvn archetype:generate, in an empty directory.
    Path generateDir = Files.createDirectories(work.resolve("generate"));
    MavenBuild.of(generateDir)
        .run(
            "archetype:generate",
            "-DarchetypeGroupId=io.k8sci",
            "-DarchetypeArtifactId=k8sci-archetype",
            "-DarchetypeVersion=" + MavenBuild.PLUGIN_VERSION,
            "-DgroupId=com.example.shop",
            "-DartifactId=orders",
            "-Dversion=1.0.0",
            "-Dpackage=com.example.shop.orders",
            "-DinteractiveMode=false")
        .assertSuccess();
    Path project = generateDir.resolve("orders");
    assertThat(Files.readString(project.resolve("pom.xml")))
        .contains("<maven.deploy.skip>true</maven.deploy.skip>");
    assertThat(project.resolve("manifests/deployment.yaml")).isRegularFile();

    Path settings =
        Files.writeString(
            work.resolve("settings.xml"),
            """
            <settings>
              <servers>
                <server>
                  <id>%s</id>
                  <username>%s</username>
                  <password>%s</password>
                </server>
              </servers>
            </settings>
            """
                .formatted(registry.host(), registry.username(), registry.password()));
    Path kubeconfig = Cluster.kubeconfig(api, work.resolve("kubeconfig"), CONTEXT, NAMESPACE);
    String repository = registry.host() + "/shop/orders";
    String[] common = {
      "-s",
      settings.toString(),
      "-Dk8sci.to=" + repository,
      "-Dk8sci.from=jlink",
      "-Dk8sci.caCertificates=" + registry.caCertificatePem(),
      "-Dk8sci.cacheDir=" + ItCaches.k8sciCache()
    };

    // mvn package: the generated tests, Boot's repackage, then k8sci:image pushes.
    MavenBuild.Result packaged =
        MavenBuild.of(project).env("IMAGE_VERSION", "1.0.0").run(with(common, "package"));
    packaged.assertSuccess();
    assertThat(testsRun(packaged.output())).isPositive();
    assertThat(packaged.output())
        .containsSubsequence(
            "--- spring-boot:",
            ":repackage (repackage) @ orders ---",
            "--- k8sci:" + MavenBuild.PLUGIN_VERSION + ":image (image) @ orders ---")
        .contains(
            "[INFO] Using credentials for "
                + registry.host()
                + " from settings.xml <server> '"
                + registry.host()
                + "'")
        .doesNotContain(registry.password());
    ImageRecord packagedImage = ImageRecord.read(project.resolve("target/k8sci/image.json"));
    Skopeo.Inspection pushed = Skopeo.forRegistry(registry).inspect(repository + ":1.0.0");
    assertThat(packagedImage.reference()).isEqualTo(repository + ":1.0.0");
    assertThat(packagedImage.digest()).isEqualTo(pushed.digest());

    // The administrator, once: the least-privilege identity and a kubeconfig for CI.
    MavenBuild.of(project)
        .env("KUBECONFIG", kubeconfig.toString())
        .run("k8sci:rbac", "-Dk8sci.apply")
        .assertSuccess();
    Role role = api.client().rbac().roles().inNamespace(NAMESPACE).withName("k8sci-deployer").get();
    assertThat(role).as("Role applied by k8sci:rbac").isNotNull();
    MavenBuild.Result issued =
        MavenBuild.of(project)
            .env("KUBECONFIG", kubeconfig.toString())
            .run("k8sci:kubeconfig", "-Dk8sci.tokenDuration=1d")
            .assertSuccess();
    Path ciKubeconfig = project.resolve("target/k8sci/kubeconfig");
    assertThat(Files.getPosixFilePermissions(ciKubeconfig))
        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    assertThat(issued.output()).contains(ciKubeconfig.toString());
    assertThat(api.issuedTokens()).hasSize(1);
    String token = api.issuedTokens().keySet().iterator().next();
    assertThat(issued.output()).doesNotContain(token);
    // From here on the API server accepts only that token, and only in the namespace.
    api.authenticateIssuedTokensOnly();
    api.restrictToNamespace(NAMESPACE);
    int requestsBeforeDeploy = api.requests().size();

    // mvn deploy, authenticated only by the generated kubeconfig: the same image again
    // (reproducible: nothing new to upload), then the rollout.
    long uploadsBeforeDeploy = registry.blobUploadCount();
    MavenBuild.Result deployed =
        MavenBuild.of(project)
            .env("IMAGE_VERSION", "1.0.0")
            .env("KUBECONFIG", ciKubeconfig.toString())
            .run(with(common, "deploy", "-DskipTests"));
    deployed.assertSuccess();
    List<ApiRequest> deployRequests =
        api.requests().subList(requestsBeforeDeploy, api.requests().size());
    assertThat(deployRequests).isNotEmpty().noneMatch(ApiRequest::clusterScoped);
    assertThat(deployRequests)
        .as("every call of the rollout is allowed by the Role k8sci:rbac generated")
        .allMatch(
            r ->
                PolicyRules.allows(
                    role.getRules(), r.verb(), r.group(), r.resource(), r.subresource(), r.name()));
    assertThat(deployed.output()).doesNotContain(token);
    assertThat(deployed.output())
        .containsSubsequence(
            "--- k8sci:" + MavenBuild.PLUGIN_VERSION + ":image (image) @ orders ---",
            "--- deploy:",
            "Skipping artifact deployment",
            "--- k8sci:" + MavenBuild.PLUGIN_VERSION + ":rollout (rollout) @ orders ---",
            "deployment.apps/orders: deployment \"orders\" successfully rolled out")
        .doesNotContain(registry.password());
    assertThat(ImageRecord.read(project.resolve("target/k8sci/image.json")).digest())
        .isEqualTo(pushed.digest());
    assertThat(registry.blobUploadCount()).isEqualTo(uploadsBeforeDeploy);

    // The cluster runs exactly the digest the registry holds.
    String pinned = repository + ":1.0.0@" + pushed.digest();
    Deployment deployment = Cluster.deployment(api, NAMESPACE, "orders");
    assertThat(Cluster.image(deployment)).isEqualTo(pinned);
    assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/version", "1.0.0");
    assertThat(api.client().services().inNamespace(NAMESPACE).withName("orders").get()).isNotNull();
    RolloutReport rollout = RolloutReport.read(project.resolve("target/k8sci/rollout.json"));
    assertThat(rollout.outcome()).isEqualTo(RolloutReport.Outcome.SUCCEEDED);
    assertThat(rollout.image()).isEqualTo(pinned);

    // A node pulls that digest and runs it: the readiness probe of the manifest answers UP.
    pulled = repository + "@" + pushed.digest();
    Podman.Result pull =
        podman.exec(
            List.of(
                "pull",
                "--cert-dir",
                registry.certificateDirectory().toString(),
                "--creds",
                registry.username() + ":" + registry.password(),
                pulled),
            Duration.ofMinutes(3));
    assertThat(pull.exitCode()).as(pull.output()).isZero();
    HttpResponse<String> readiness =
        ServiceProbe.get(podman, pulled, "Started Application", "/actuator/health/readiness");
    assertThat(readiness.statusCode()).isEqualTo(200);
    assertThat(readiness.body()).contains("\"status\":\"UP\"");
  }

  private static String[] with(String[] common, String... args) {
    String[] all = new String[common.length + args.length];
    System.arraycopy(common, 0, all, 0, common.length);
    System.arraycopy(args, 0, all, common.length, args.length);
    return all;
  }

  /** The total of Surefire's summary line, {@code Tests run: N, Failures: 0, Errors: 0, ...}. */
  private static int testsRun(String output) {
    Matcher m =
        Pattern.compile("(?m)^\\[INFO\\] Tests run: (\\d+), Failures: 0, Errors: 0, Skipped: 0$")
            .matcher(output);
    int last = 0;
    while (m.find()) {
      last = Integer.parseInt(m.group(1));
    }
    return last;
  }
}
