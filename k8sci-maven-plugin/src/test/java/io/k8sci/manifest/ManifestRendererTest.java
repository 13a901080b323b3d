package io.k8sci.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.k8sci.K8sciException;
import io.k8sci.testing.RecordingBuildLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole chain on files, as the rollout goal uses it. */
class ManifestRendererTest {

  static final String DIGEST = "sha256:" + "ab".repeat(32);
  static final String IMAGE = "127.0.0.1:5000/team/web:1.2.0";

  @TempDir Path dir;
  final RecordingBuildLog log = new RecordingBuildLog();

  static final String DEPLOYMENT =
      """
      # the web service, as the pipeline's sed used to fill it
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
        labels: {app: web, version: __IMAGE_VERSION_SLUG__}
      spec:
        replicas: ${replicas}
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec:
            initContainers:
            - name: migrate
              image: 127.0.0.1:5000/team/web:__IMAGE_VERSION_SLUG__
              args: ["migrate", "--url=$(DB_URL)"]
            containers:
            - name: app
              image: ${k8sci.image}
              env:
              - {name: DB_URL, value: "jdbc:postgresql://db/app"}
              - {name: COMMIT, value: "${env.CI_COMMIT_SHORT_SHA}"}
              - {name: BUILD, value: "${project.version}"}
            - name: proxy
              image: envoyproxy/envoy:v1.30
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: web}
      spec:
        selector: {app: web}
        ports: [{port: 80, targetPort: 8080}]
      """;

  static final String SECRET =
      """
      apiVersion: v1
      kind: Secret
      metadata: {name: db}
      stringData:
        password: ${env.DB_PASSWORD}
      """;

  ManifestRenderRequest.Builder request(Path manifests) {
    return ManifestRenderRequest.builder(manifests, "team")
        .image(IMAGE)
        .imageDigest(DIGEST)
        .variables(Map.of("replicas", "3"))
        .environment(Map.of("CI_COMMIT_SHORT_SHA", "0a1b2c3d", "DB_PASSWORD", "hunter2-secret"))
        .projectVersion("1.2.0")
        .log(log);
  }

  @Test
  void rendersValidatesPinsAndOrdersADirectory() throws Exception {
    write("10-web.yaml", DEPLOYMENT);
    write("05-secret.yaml", SECRET);
    write(
        "20-config.json",
        "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"web\"},"
            + " \"data\": {\"tag\": \"__IMAGE_VERSION_SLUG__\"}}");

    RenderedManifests rendered = new ManifestRenderer().render(request(dir).build());

    assertThat(rendered.manifests())
        .extracting(RenderedManifest::toString)
        .containsExactly(
            "secret/db (" + dir.resolve("05-secret.yaml") + ":1)",
            "configmap/web (" + dir.resolve("20-config.json") + ":1)",
            "service/web (" + dir.resolve("10-web.yaml") + ":27)",
            "deployment/web (" + dir.resolve("10-web.yaml") + ":2)");
    assertThat(rendered.objects())
        .extracting(o -> o.getMetadata().getNamespace())
        .containsOnly("team");

    Deployment web = (Deployment) rendered.objects().get(3);
    assertThat(web.getSpec().getReplicas()).isEqualTo(3);
    assertThat(web.getMetadata().getLabels()).containsEntry("version", "1.2.0");
    var pod = web.getSpec().getTemplate().getSpec();
    assertThat(pod.getInitContainers().get(0).getImage()).isEqualTo(IMAGE + "@" + DIGEST);
    assertThat(pod.getInitContainers().get(0).getArgs())
        .containsExactly("migrate", "--url=$(DB_URL)");
    assertThat(pod.getContainers().get(0).getImage()).isEqualTo(IMAGE + "@" + DIGEST);
    assertThat(pod.getContainers().get(0).getEnv())
        .extracting(e -> e.getName() + "=" + e.getValue())
        .containsExactly("DB_URL=jdbc:postgresql://db/app", "COMMIT=0a1b2c3d", "BUILD=1.2.0");
    assertThat(pod.getContainers().get(1).getImage()).isEqualTo("envoyproxy/envoy:v1.30");

    assertThat(rendered.pinnedContainers()).hasSize(2);
    assertThat(rendered.withRolloutStatus())
        .extracting(RenderedManifest::displayName)
        .containsExactly("deployment/web");
    assertThat(log.lines("INFO"))
        .contains(
            "Pinned deployment/web init container migrate to " + IMAGE + "@" + DIGEST,
            "Pinned deployment/web container app to " + IMAGE + "@" + DIGEST);
    assertThat(log.text()).doesNotContain("hunter2-secret");
  }

  @Test
  void singleFileAndNoPinningWhenTurnedOff() throws Exception {
    Path file = write("deployment.yaml", DEPLOYMENT);
    RenderedManifests rendered =
        new ManifestRenderer().render(request(file).pinDigest(false).build());
    Deployment web = (Deployment) rendered.objects().get(1);
    assertThat(web.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
        .isEqualTo(IMAGE);
    assertThat(rendered.pinnedContainers()).isEmpty();
  }

  @Test
  void tagAndDigestCanComeFromTheReference() throws Exception {
    Path file = write("deployment.yaml", DEPLOYMENT);
    RenderedManifests rendered =
        new ManifestRenderer()
            .render(
                ManifestRenderRequest.builder(file, "team")
                    .image("127.0.0.1:5000/team/web:2.0.0@" + DIGEST)
                    .variables(Map.of("replicas", "1"))
                    .environment(Map.of("CI_COMMIT_SHORT_SHA", "x"))
                    .projectVersion("2.0.0")
                    .build());
    Deployment web = (Deployment) rendered.objects().get(1);
    assertThat(web.getMetadata().getLabels()).containsEntry("version", "2.0.0");
    assertThat(web.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
        .isEqualTo("127.0.0.1:5000/team/web:2.0.0@" + DIGEST);
  }

  @Test
  void withoutImageThePlaceholdersAreErrorsAcrossFiles() throws Exception {
    write("a.yaml", DEPLOYMENT);
    write("b.yaml", SECRET);
    assertThatThrownBy(
            () ->
                new ManifestRenderer()
                    .render(ManifestRenderRequest.builder(dir, "team").log(log).build()))
        .isInstanceOf(ManifestException.class)
        .hasMessageContaining(
            dir.resolve("a.yaml") + ":6:31: __IMAGE_VERSION_SLUG__ needs the image tag")
        .hasMessageContaining(dir.resolve("a.yaml") + ":8:13: ${replicas} is not known")
        .hasMessageContaining(dir.resolve("a.yaml") + ":19:16: ${k8sci.image} has no value")
        .hasMessageContaining(dir.resolve("b.yaml") + ":5:13: ${env.DB_PASSWORD}")
        .hasMessageContaining("7 problems");
  }

  @Test
  void aBrokenSecondFileMeansNothingIsRendered() throws Exception {
    write("a.yaml", DEPLOYMENT);
    write("b.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: {}\n");
    assertThatThrownBy(() -> new ManifestRenderer().render(request(dir).build()))
        .isInstanceOf(ManifestException.class)
        .hasMessageContaining(dir.resolve("b.yaml") + ":5:")
        .hasMessageNotContaining(dir.resolve("a.yaml").toString());
    assertThat(log.lines("INFO")).noneMatch(line -> line.startsWith("Pinned"));
  }

  @Test
  void writesTheRenderedYamlForADryRunReadableBack() throws Exception {
    write("10-web.yaml", DEPLOYMENT);
    write("05-secret.yaml", SECRET);
    RenderedManifests rendered = new ManifestRenderer().render(request(dir).build());
    Path out = dir.resolve("target/k8sci/manifests.yaml");

    rendered.writeYaml(out);

    String yaml = Files.readString(out);
    assertThat(yaml).contains(IMAGE + "@" + DIGEST).contains("namespace: \"team\"");
    List<ManifestDocument> documents = ManifestSource.split(out, yaml);
    List<HasMetadata> back =
        documents.stream()
            .map(
                d ->
                    (HasMetadata)
                        ManifestValidator.SERIALIZATION.unmarshal(
                            d.text(), KubernetesResource.class))
            .toList();
    assertThat(back)
        .extracting(HasMetadata::getKind)
        .containsExactly("Secret", "Service", "Deployment");
    assertThat(back).isEqualTo(rendered.objects());
    if (Files.getFileAttributeView(out, java.nio.file.attribute.PosixFileAttributeView.class)
        != null) {
      assertThat(Files.getPosixFilePermissions(out))
          .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
    }
  }

  @Test
  void requestToStringHidesValues() {
    String text = request(dir).build().toString();
    assertThat(text)
        .contains("replicas")
        .doesNotContain("hunter2-secret")
        .doesNotContain("0a1b2c3d");
  }

  @Test
  void invalidVariableNameIsAK8sciException() throws Exception {
    write("a.yaml", SECRET);
    assertThatThrownBy(
            () ->
                new ManifestRenderer()
                    .render(request(dir).variables(Map.of("k8sci.image", "x")).build()))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining("shadows a built-in");
  }

  private Path write(String name, String content) throws Exception {
    Path file = dir.resolve(name);
    Files.writeString(file, content);
    return file;
  }
}
