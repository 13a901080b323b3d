package io.k8sci.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.k8sci.deploy.RolloutReport;
import io.k8sci.image.ImageRecord;
import io.k8sci.testing.kube.ApiRequest;
import io.k8sci.testing.kube.SimulatedDeploymentController;
import io.k8sci.testing.kube.TestApiServer;
import io.k8sci.testing.registry.RegistryServer;
import io.k8sci.testing.registry.Skopeo;
import io.k8sci.testing.registry.Umoci;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code it/samples/ci-service}, whose POM only declares the plugin, built and deployed the way its
 * GitLab jobs do it: plain {@code mvn} command lines and nothing but the job's environment.
 *
 * <p>The job's variables are GitLab's ({@code CI_REGISTRY}, {@code CI_REGISTRY_IMAGE}, {@code
 * CI_REGISTRY_USER}, {@code CI_REGISTRY_PASSWORD}) plus the pipeline's {@code IMAGE_VERSION} and
 * {@code KUBECONFIG}. The rest is the runner image, which a project does not configure: the company
 * CA in the JVM's trust store ({@code JAVA_TOOL_OPTIONS=-Djavax.net.ssl.trustStore=...}, how runner
 * images for a private network usually ship it; {@code -Dk8sci.caCertificates} would be build
 * configuration), a Docker Hub mirror ({@code DOCKER_REGISTRY_MIRROR}, which GitLab runners set for
 * Docker-in-Docker; it serves k8sci's default base {@code eclipse-temurin:17-jre}, here a small
 * stand-in since the tests have no internet) and an empty home directory (so neither the machine's
 * {@code ~/.docker} credentials nor its {@code ~/.cache/k8sci} take part).
 *
 * <p>The registry is a real {@code docker-registry} over TLS with basic auth; the cluster is the
 * test API server with a simulated deployment controller. One registry, mirror and API server serve
 * every test of the class; the first pipeline ({@link #baseline()}) runs once and every later test
 * works on a copy of its project.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CiServiceTest {

  private static final String NAME = "ci-service";
  private static final String NAMESPACE = "shop-production";

  /** As the GitLab agent names its contexts. */
  private static final String CONTEXT = "shop/ci-service:production";

  private static final String MAVEN_GOAL_LINE = "--- k8sci:";

  @TempDir static Path work;

  private RegistryServer registry;
  private RegistryServer dockerHubMirror;
  private List<String> mirroredBaseLayers;
  private TestApiServer api;
  private SimulatedDeploymentController controller;
  private Path kubeconfig;
  private Path trustStore;
  private Path jobHome;
  private String repository;
  private Skopeo skopeo;
  private Baseline baseline;

  /** What the first pipeline ({@code IMAGE_VERSION=1}) produced and left live. */
  private record Baseline(
      Path project,
      MavenBuild.Result packaged,
      MavenBuild.Result deployed,
      ImageRecord image,
      Skopeo.Inspection pushed,
      Deployment deployment,
      RolloutReport rollout) {}

  @BeforeAll
  void start() {
    registry = RegistryServer.startSecured();
    dockerHubMirror = RegistryServer.builder().tls(true).start();
    Path layout =
        Umoci.tinyImage(
            work.resolve("eclipse-temurin-stand-in"),
            "17-jre",
            Map.of("/etc/os-release", "NAME=\"a stand-in for eclipse-temurin:17-jre\"\n"));
    String mirrored = dockerHubMirror.image("library/eclipse-temurin:17-jre");
    Skopeo.forRegistry(dockerHubMirror).pushOciLayout(layout, "17-jre", mirrored);
    mirroredBaseLayers = Skopeo.forRegistry(dockerHubMirror).inspect(mirrored).layers();

    api = TestApiServer.start();
    controller = SimulatedDeploymentController.start(api);
    kubeconfig = Cluster.kubeconfig(api, work.resolve("job/kubeconfig"), CONTEXT, NAMESPACE);
    trustStore =
        RunnerTrustStore.write(
            work.resolve("job/cacerts.p12"),
            registry.caCertificatePem(),
            dockerHubMirror.caCertificatePem());
    jobHome = work.resolve("job/home");
    repository = registry.host() + "/shop/ci-service";
    skopeo = Skopeo.forRegistry(registry);
  }

  @AfterAll
  void stop() {
    if (controller != null) {
      controller.close();
    }
    if (api != null) {
      api.close();
    }
    if (dockerHubMirror != null) {
      dockerHubMirror.close();
    }
    if (registry != null) {
      registry.close();
    }
  }

  /** A GitLab job's environment around a build. */
  private MavenBuild job(MavenBuild build, String imageVersion) throws IOException {
    Files.createDirectories(jobHome);
    return build
        .env("CI", "true")
        .env("GITLAB_CI", "true")
        .env("CI_REGISTRY", registry.host())
        .env("CI_REGISTRY_IMAGE", repository)
        .env("CI_REGISTRY_USER", registry.username())
        .env("CI_REGISTRY_PASSWORD", registry.password())
        .env("IMAGE_VERSION", imageVersion)
        .env("KUBECONFIG", kubeconfig.toString())
        // the runner image's, not the project's:
        .env("JAVA_TOOL_OPTIONS", RunnerTrustStore.javaToolOptions(trustStore))
        .env("DOCKER_REGISTRY_MIRROR", "https://" + dockerHubMirror.host())
        .env("HOME", jobHome.toString())
        .env("MAVEN_OPTS", "-Duser.home=" + jobHome);
  }

  /**
   * The first pipeline, once per class: {@code mvn -B package} (the POM binds nothing of k8sci, so
   * this only builds the jar), then literally {@code mvn -B k8sci:image k8sci:rollout}.
   *
   * <p>Why two commands: with no execution bound, {@code mvn k8sci:image k8sci:rollout} alone has
   * no jar to put in an image, so the jar comes from a {@code package} run first, as a pipeline's
   * build job would make it (no {@code -Dk8sci.image.skip} needed: nothing of k8sci is bound). This
   * keeps the issue's command line verbatim and proves {@code k8sci:image} finds the jar outside
   * the lifecycle. The one-invocation form, {@code mvn package k8sci:image k8sci:rollout}, is what
   * the second pipeline runs ({@link
   * #oneLineChangeUploadsOnlyTheApplicationLayerAndRollsOutTheNewDigest}), so both are covered.
   * ({@code mvn package k8sci:rollout} would deploy without building an image: not an option.)
   */
  private synchronized Baseline baseline() throws IOException {
    if (baseline == null) {
      Path project = work.resolve("pipeline-1/ci-service");
      MavenBuild.Result packaged =
          job(MavenBuild.ofSample(NAME, project), "1").run("package").assertSuccess();
      MavenBuild.Result deployed =
          job(MavenBuild.of(project), "1").run("k8sci:image", "k8sci:rollout").assertSuccess();
      baseline =
          new Baseline(
              project,
              packaged,
              deployed,
              ImageRecord.read(project.resolve("target/k8sci/image.json")),
              skopeo.inspect(repository + ":1"),
              Cluster.deployment(api, NAMESPACE, NAME),
              RolloutReport.read(project.resolve("target/k8sci/rollout.json")));
    }
    return baseline;
  }

  // ------------------------------------------------------------------ the happy paths

  @Test
  @Order(1)
  void ciVariablesAloneBuildPushAndRollOutWithAPomThatOnlyDeclaresThePlugin() throws IOException {
    Baseline b = baseline();

    // mvn package: nothing of k8sci runs, the Boot jar is there.
    assertThat(b.packaged().output()).doesNotContain(MAVEN_GOAL_LINE);
    assertThat(b.project().resolve("target/ci-service-1.0.0.jar")).isRegularFile();

    // mvn k8sci:image k8sci:rollout: the job token for the job's registry, the mirror for the base.
    assertThat(b.deployed().output())
        .contains(MAVEN_GOAL_LINE + MavenBuild.PLUGIN_VERSION + ":image (default-cli) @ ci-service")
        .contains(
            MAVEN_GOAL_LINE + MavenBuild.PLUGIN_VERSION + ":rollout (default-cli) @ ci-service")
        .contains(
            "[INFO] Using credentials for "
                + registry.host()
                + " from $CI_REGISTRY_USER/$CI_REGISTRY_PASSWORD (GitLab job token for $CI_REGISTRY "
                + registry.host()
                + ")")
        .contains(
            "[INFO] Using $DOCKER_REGISTRY_MIRROR "
                + dockerHubMirror.host()
                + " as a mirror of docker.io.")
        .contains(
            "[INFO] deployment.apps/ci-service: deployment \"ci-service\" successfully rolled out");
    assertNoSecretIn(b.packaged(), b.deployed(), b.project());

    // The image: $CI_REGISTRY_IMAGE:$IMAGE_VERSION, on the default base served by the mirror.
    ImageRecord image = b.image();
    assertThat(image.reference()).isEqualTo(repository + ":1");
    assertThat(image.pushed()).isTrue();
    assertThat(image.digest()).isEqualTo(b.pushed().digest());
    assertThat(b.pushed().layers())
        .hasSizeGreaterThan(mirroredBaseLayers.size())
        .startsWith(mirroredBaseLayers.toArray(String[]::new));

    // The cluster: the namespace of the kubeconfig's context, the digest pinned, the slug replaced.
    Deployment deployment = b.deployment();
    assertThat(deployment.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
    assertThat(Cluster.image(deployment)).isEqualTo(repository + ":1@" + b.pushed().digest());
    assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
        .containsEntry("version", "1");
    assertThat(Cluster.revision(deployment)).isEqualTo("1");
    assertThat(api.client().services().inNamespace(NAMESPACE).withName(NAME).get()).isNotNull();
    assertThat(b.rollout().outcome()).isEqualTo(RolloutReport.Outcome.SUCCEEDED);
    assertThat(b.rollout().image()).isEqualTo(repository + ":1@" + b.pushed().digest());
  }

  @Test
  @Order(2)
  void oneLineChangeUploadsOnlyTheApplicationLayerAndRollsOutTheNewDigest() throws IOException {
    Baseline b = baseline();
    Deployment before = Cluster.deployment(api, NAMESPACE, NAME);
    assertThat(Cluster.revision(before)).isEqualTo("1");

    // The next commit, in a fresh checkout: one line of code changed.
    Path project = work.resolve("pipeline-2/ci-service");
    MavenBuild.copyTree(b.project(), project);
    Path source = project.resolve("src/main/java/io/k8sci/sample/ci/CiServiceApplication.java");
    String code = Files.readString(source);
    String changed =
        code.replace("\"Hello from ci-service\"", "\"Hello from ci-service, second edition\"");
    assertThat(changed).isNotEqualTo(code);
    Files.writeString(source, changed);

    int uploadsBefore = registry.uploadedBlobDigests().size();
    MavenBuild.Result second =
        job(MavenBuild.of(project), "2")
            .run("package", "k8sci:image", "k8sci:rollout")
            .assertSuccess();
    List<String> uploads = registry.uploadedBlobDigests();
    List<String> uploadedNow = uploads.subList(uploadsBefore, uploads.size());

    ImageRecord image = ImageRecord.read(project.resolve("target/k8sci/image.json"));
    String pushedDigest = skopeo.inspect(repository + ":2").digest();
    String configDigest =
        skopeo.inspectRaw(repository + ":2").path("config").path("digest").asText();
    assertThat(image.digest()).isEqualTo(pushedDigest).isNotEqualTo(b.image().digest());

    // What the registry received: the new application layer and the new config, nothing else.
    String application = layer(image, "application").digest();
    assertThat(application).isNotEqualTo(layer(b.image(), "application").digest());
    assertThat(uploadedNow).containsExactlyInAnyOrder(application, configDigest);
    assertThat(withoutApplication(image)).isEqualTo(withoutApplication(b.image()));
    assertThat(image.layers())
        .filteredOn(l -> Boolean.TRUE.equals(l.uploaded()))
        .extracting(ImageRecord.Layer::name)
        .containsExactly("application");
    assertThat(second.output()).contains("[INFO]   layer application: ").contains(", uploaded");

    // The cluster moved to the new digest: revision 2.
    Deployment after = Cluster.deployment(api, NAMESPACE, NAME);
    assertThat(Cluster.image(after)).isEqualTo(repository + ":2@" + pushedDigest);
    assertThat(Cluster.revision(after)).isEqualTo("2");
    RolloutReport rollout = RolloutReport.read(project.resolve("target/k8sci/rollout.json"));
    assertThat(rollout.outcome()).isEqualTo(RolloutReport.Outcome.SUCCEEDED);
    assertThat(rollout.workloads())
        .singleElement()
        .satisfies(
            w -> {
              assertThat(w.workload()).isEqualTo("deployment.apps/ci-service");
              assertThat(w.revisionBefore()).isEqualTo("1");
              assertThat(w.revisionAfter()).isEqualTo("2");
            });
  }

  // ------------------------------------------------------------------ failures a user sees

  @Test
  @Order(3)
  void wrongRegistryPasswordFailsBeforeAnyManifestIsPushedOrApplied() throws IOException {
    Baseline b = baseline();
    Path project = work.resolve("wrong-password/ci-service");
    MavenBuild build =
        job(MavenBuild.copyOf(b.project(), project), "3")
            .env("CI_REGISTRY_PASSWORD", "an-expired-job-token");
    Map<String, String> tagsBefore = tagDigests();
    Deployment before = Cluster.deployment(api, NAMESPACE, NAME);
    int registryRequestsBefore = registry.requests().size();
    int apiRequestsBefore = api.requests().size();

    MavenBuild.Result failed = build.run("k8sci:image", "k8sci:rollout").assertFailure();

    // The registry, the credential source and what to check, on one line (causes only with -X).
    assertThat(failed.errorLines().get(0))
        .isEqualTo(
            "Failed to execute goal io.k8sci:k8sci-maven-plugin:"
                + MavenBuild.PLUGIN_VERSION
                + ":image (default-cli) on project ci-service: Pushing "
                + repository
                + ":3 failed: HTTP 401 (HttpResponseException: 401 Unauthorized). The registry "
                + registry.host()
                + " refused the credentials from $CI_REGISTRY_USER/$CI_REGISTRY_PASSWORD (GitLab"
                + " job token for $CI_REGISTRY "
                + registry.host()
                + "). Check the user, password or token and that it may push to shop/ci-service."
                + " -> [Help 1]");
    assertThat(failed.output()).doesNotContain("an-expired-job-token");

    List<RegistryServer.LoggedRequest> during =
        registry.requests().subList(registryRequestsBefore, registry.requests().size());
    assertThat(during)
        .as("manifest PUTs and blob uploads during the failed build")
        .noneMatch(r -> r.method().equals("PUT") && r.path().matches("/v2/.+/manifests/.+"))
        .noneMatch(RegistryServer.LoggedRequest::isCompletedBlobUpload);
    assertThat(tagDigests()).as("every tag and its digest").isEqualTo(tagsBefore);
    assertThat(api.requests().subList(apiRequestsBefore, api.requests().size()))
        .as("the rollout never started")
        .isEmpty();
    assertStillLive(before);
  }

  @Test
  @Order(4)
  void unreachableApiServerFailsTheBuildAndChangesNothing() throws IOException {
    Baseline b = baseline();
    Path project = work.resolve("api-down/ci-service");
    Path down =
        Cluster.unreachableKubeconfig(api, work.resolve("api-down/kubeconfig"), CONTEXT, NAMESPACE);
    String downServer =
        Files.readAllLines(down).stream()
            .filter(l -> l.trim().startsWith("server: "))
            .map(l -> l.trim().substring("server: ".length()))
            .findFirst()
            .orElseThrow();
    Deployment before = Cluster.deployment(api, NAMESPACE, NAME);

    MavenBuild.Result failed =
        job(MavenBuild.copyOf(b.project(), project), "1")
            .env("KUBECONFIG", down.toString())
            .run("k8sci:rollout")
            .assertFailure();

    // The log names the server the kubeconfig points at; the error says it could not be reached,
    // which call, and where the connection came from.
    assertThat(failed.output())
        .contains(
            "[INFO] Kubernetes: kubeconfig "
                + down
                + ", context \""
                + CONTEXT
                + "\", server "
                + downServer
                + "/, namespace "
                + NAMESPACE
                + " (context)");
    assertThat(failed.errorLines().get(0))
        .isEqualTo(
            "Failed to execute goal io.k8sci:k8sci-maven-plugin:"
                + MavenBuild.PLUGIN_VERSION
                + ":rollout (default-cli) on project ci-service: cannot reach the Kubernetes API"
                + " server (connection refused) to get services \"ci-service\" in namespace \""
                + NAMESPACE
                + "\". Check that this job can reach the API server and that it is the right one:"
                + " kubeconfig "
                + down
                + ", context \""
                + CONTEXT
                + "\", server "
                + downServer
                + "/, namespace "
                + NAMESPACE
                + " (context) -> [Help 1]");
    assertStillLive(before);
  }

  @Test
  @Order(5)
  void unresolvedPlaceholderFailsWithFileLineAndColumnAndNothingIsSent() throws IOException {
    Baseline b = baseline();
    Path project = work.resolve("placeholder/ci-service");
    MavenBuild build = MavenBuild.copyOf(b.project(), project);
    // A shell habit carried over from the sed pipeline: ${CI_COMMIT_SHORT_SHA} instead of
    // ${env.CI_COMMIT_SHORT_SHA}.
    Path manifest = project.resolve("manifests/deployment.yaml");
    String versionLabel = "        version: \"__IMAGE_VERSION_SLUG__\"\n";
    String commitLabel = "        commit: \"${CI_COMMIT_SHORT_SHA}\"\n";
    String yaml = Files.readString(manifest);
    assertThat(yaml).contains(versionLabel);
    yaml = yaml.replace(versionLabel, versionLabel + commitLabel);
    Files.writeString(manifest, yaml);
    int line = yaml.substring(0, yaml.indexOf(commitLabel)).split("\n", -1).length;
    int column = commitLabel.indexOf("${") + 1;
    Deployment before = Cluster.deployment(api, NAMESPACE, NAME);
    int apiRequestsBefore = api.requests().size();

    MavenBuild.Result failed =
        job(build, "1").env("CI_COMMIT_SHORT_SHA", "0a1b2c3d").run("k8sci:rollout").assertFailure();

    List<String> errors = failed.errorLines();
    assertThat(errors)
        .startsWith(
            "Failed to execute goal io.k8sci:k8sci-maven-plugin:"
                + MavenBuild.PLUGIN_VERSION
                + ":rollout (default-cli) on project ci-service: Unresolved placeholders in the"
                + " manifests (1 problem; nothing was applied):",
            "  " + manifest + ":" + line + ":" + column + ": ${CI_COMMIT_SHORT_SHA} is not known");
    assertThat(errors.get(2))
        .startsWith("Known placeholders: __IMAGE_VERSION_SLUG__, ${k8sci.image}, ")
        .contains(", ${env.NAME} for environment variables");
    List<ApiRequest> sent = api.requests().subList(apiRequestsBefore, api.requests().size());
    assertThat(Cluster.writes(sent)).as("write requests to the API server").isEmpty();
    assertStillLive(before);
  }

  @Test
  @Order(6)
  void imageThatCannotBePulledFailsExplainsAndRollsBack() throws IOException {
    Baseline b = baseline();
    Path project = work.resolve("unpullable/ci-service");
    Deployment before = Cluster.deployment(api, NAMESPACE, NAME);

    // The simulated kubelet cannot pull an image whose reference says "unpullable".
    MavenBuild.Result failed =
        job(MavenBuild.copyOf(b.project(), project), "2-unpullable")
            .run("k8sci:image", "k8sci:rollout")
            .assertFailure();

    ImageRecord image = ImageRecord.read(project.resolve("target/k8sci/image.json"));
    String attempted = repository + ":2-unpullable@" + image.digest();
    List<String> errors = failed.errorLines();
    assertThat(errors.get(0))
        .isEqualTo(
            "Failed to execute goal io.k8sci:k8sci-maven-plugin:"
                + MavenBuild.PLUGIN_VERSION
                + ":rollout (default-cli) on project ci-service: Rollout failed in namespace \""
                + NAMESPACE
                + "\":");
    String pod = "ci-service-[a-z0-9]+-[a-z0-9]+";
    int newRevision = Integer.parseInt(Cluster.revision(before)) + 1;
    // What failed and why, then kubectl-describe-like details, then what was done about it.
    assertThat(errors.get(1))
        .matches(
            "deployment \"ci-service\" rollout failed: pod "
                + pod
                + " container \"ci-service\" is in ImagePullBackOff: Back-off pulling image \""
                + Pattern.quote(attempted)
                + "\"");
    assertThat(errors.get(2))
        .matches(
            "deployment \"ci-service\" revision "
                + newRevision
                + " \\(ReplicaSet ci-service-[a-z0-9]+\\): 0 of 2 new pods ready");
    assertThat(errors)
        .contains(
            "  container ci-service (image " + attempted + "):",
            "    State:         Waiting (ImagePullBackOff): Back-off pulling image \""
                + attempted
                + "\"",
            "    Failed: Error: ErrImagePull")
        .anySatisfy(
            l ->
                assertThat(l)
                    .startsWith("    Failed: Failed to pull image \"" + attempted + "\": "));
    assertThat(errors.get(errors.indexOf("-> [Help 1]") - 1))
        .isEqualTo("Rolled back: the previous version is live again.");
    assertThat(failed.output())
        .contains("[WARNING] Rollout failed; rolling back to what was live before the apply");

    Deployment after = Cluster.deployment(api, NAMESPACE, NAME);
    assertThat(Cluster.image(after)).isEqualTo(Cluster.image(before));
    RolloutReport rollout = RolloutReport.read(project.resolve("target/k8sci/rollout.json"));
    assertThat(rollout.outcome()).isEqualTo(RolloutReport.Outcome.FAILED);
    assertThat(rollout.rolledBack()).isTrue();
  }

  // ------------------------------------------------------------------ helpers

  /** The previous Deployment is still what is live: same image, same template generation. */
  private void assertStillLive(Deployment before) {
    Deployment now = Cluster.deployment(api, NAMESPACE, NAME);
    assertThat(Cluster.image(now)).isEqualTo(Cluster.image(before));
    assertThat(now.getMetadata().getGeneration()).isEqualTo(before.getMetadata().getGeneration());
    assertThat(Cluster.revision(now)).isEqualTo(Cluster.revision(before));
  }

  private Map<String, String> tagDigests() {
    Map<String, String> digests = new LinkedHashMap<>();
    for (String tag : skopeo.listTags(repository).stream().sorted().toList()) {
      digests.put(tag, skopeo.inspect(repository + ":" + tag).digest());
    }
    return digests;
  }

  private static ImageRecord.Layer layer(ImageRecord image, String name) {
    return image.layers().stream()
        .filter(l -> l.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no layer " + name + " in " + image.layers()));
  }

  private static List<String> withoutApplication(ImageRecord image) {
    return image.layers().stream()
        .filter(l -> !l.name().equals("application"))
        .map(l -> l.name() + "=" + l.digest())
        .toList();
  }

  private void assertNoSecretIn(MavenBuild.Result packaged, MavenBuild.Result deployed, Path dir)
      throws IOException {
    String password = registry.password();
    assertThat(packaged.output()).doesNotContain(password);
    assertThat(deployed.output()).doesNotContain(password);
    try (Stream<Path> files = Files.walk(dir.resolve("target/k8sci"))) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        if (file.getFileName().toString().endsWith(".tar")) {
          continue;
        }
        assertThat(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1))
            .as(file.toString())
            .doesNotContain(password);
      }
    }
  }
}
