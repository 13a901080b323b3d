package io.k8sci.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.k8sci.K8sciException;
import io.k8sci.testing.RecordingBuildLog;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DigestPinnerTest {

  static final String DIGEST = "sha256:" + "0123456789abcdef".repeat(4);
  static final String PUSHED = "127.0.0.1:5000/team/web:1.2.0";

  static RenderedManifest manifest(String yaml) {
    HasMetadata object =
        (HasMetadata) ManifestValidator.SERIALIZATION.unmarshal(yaml, KubernetesResource.class);
    return new RenderedManifest(object, SourceLocation.of(Path.of("m.yaml"), 1));
  }

  static String deployment(String image) {
    return """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          template:
            spec:
              containers:
              - {name: app, image: "%s"}
        """
        .formatted(image);
  }

  /** manifest image → image after pinning (the pushed image is 127.0.0.1:5000/team/web:1.2.0). */
  static Stream<Arguments> images() {
    return Stream.of(
        arguments("127.0.0.1:5000/team/web:1.2.0", "127.0.0.1:5000/team/web:1.2.0@" + DIGEST),
        arguments("127.0.0.1:5000/team/web", "127.0.0.1:5000/team/web:1.2.0@" + DIGEST),
        arguments(
            "127.0.0.1:5000/team/web:1.2.0@sha256:" + "f".repeat(64),
            "127.0.0.1:5000/team/web:1.2.0@" + DIGEST),
        arguments("127.0.0.1:5000/team/web:0.9.0", "127.0.0.1:5000/team/web:1.2.0@" + DIGEST),
        arguments("127.0.0.1:5000/team/web-worker:1.2.0", "127.0.0.1:5000/team/web-worker:1.2.0"),
        arguments("127.0.0.1:5000/team/we:1.2.0", "127.0.0.1:5000/team/we:1.2.0"),
        arguments("127.0.0.1:5001/team/web:1.2.0", "127.0.0.1:5001/team/web:1.2.0"),
        arguments("team/web:1.2.0", "team/web:1.2.0"),
        arguments("postgres:16", "postgres:16"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("images")
  void pinsOnlyThePushedRepository(String image, String expected) {
    RenderedManifest manifest = manifest(deployment(image));
    new DigestPinner(PUSHED, Optional.empty(), DIGEST)
        .pin(List.of(manifest), new RecordingBuildLog());
    assertThat(containers(manifest).get(0).getImage()).isEqualTo(expected);
  }

  static Stream<Arguments> normalized() {
    return Stream.of(
        arguments("web:1.0", "docker.io/library/web:1.0", "docker.io/library/web:1.0@" + DIGEST),
        arguments("docker.io/library/web:1.0", "web:1.0", "web:1.0@" + DIGEST),
        arguments("index.docker.io/team/web:1.0", "team/web:1.0", "team/web:1.0@" + DIGEST),
        arguments(
            "Registry.Example.com:443/team/web:1.0",
            "registry.example.com:443/team/web:1.0",
            "registry.example.com:443/team/web:1.0@" + DIGEST),
        arguments("localhost:5000/web:1.0", "localhost:5001/web:1.0", "localhost:5001/web:1.0"));
  }

  @ParameterizedTest(name = "pushed {0}, manifest {1}")
  @MethodSource("normalized")
  void comparesRepositoriesNormalized(String pushed, String image, String expected) {
    RenderedManifest manifest = manifest(deployment(image));
    new DigestPinner(pushed, Optional.empty(), DIGEST)
        .pin(List.of(manifest), new RecordingBuildLog());
    assertThat(containers(manifest).get(0).getImage()).isEqualTo(expected);
  }

  static Stream<Arguments> workloads() {
    String pod =
        """
          containers:
          - {name: app, image: "127.0.0.1:5000/team/web:1.2.0"}
          - {name: proxy, image: "envoyproxy/envoy:v1.30"}
          initContainers:
          - {name: migrate, image: "127.0.0.1:5000/team/web:1.2.0"}
        """;
    String template = "  template:\n    spec:\n" + pod.indent(4);
    return Stream.of(
        arguments("apps/v1", "Deployment", "spec:\n" + template),
        arguments("apps/v1", "StatefulSet", "spec:\n" + template),
        arguments("apps/v1", "DaemonSet", "spec:\n" + template),
        arguments("apps/v1", "ReplicaSet", "spec:\n" + template),
        arguments("v1", "ReplicationController", "spec:\n" + template),
        arguments("batch/v1", "Job", "spec:\n" + template),
        arguments(
            "batch/v1",
            "CronJob",
            "spec:\n  schedule: '0 * * * *'\n  jobTemplate:\n    spec:\n" + template.indent(4)),
        arguments("v1", "Pod", "spec:\n" + pod));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("workloads")
  void pinsContainersAndInitContainersOfEveryWorkloadKind(
      String apiVersion, String kind, String spec) {
    RenderedManifest manifest =
        manifest(
            "apiVersion: " + apiVersion + "\nkind: " + kind + "\nmetadata: {name: web}\n" + spec);
    RecordingBuildLog log = new RecordingBuildLog();

    List<PinnedContainer> pinned =
        new DigestPinner(PUSHED, Optional.of("1.2.0"), DIGEST).pin(List.of(manifest), log);

    PodSpec podSpec = DigestPinner.podSpec(manifest.object()).orElseThrow();
    assertThat(podSpec.getContainers())
        .extracting(Container::getImage)
        .containsExactly("127.0.0.1:5000/team/web:1.2.0@" + DIGEST, "envoyproxy/envoy:v1.30");
    assertThat(podSpec.getInitContainers())
        .extracting(Container::getImage)
        .containsExactly("127.0.0.1:5000/team/web:1.2.0@" + DIGEST);
    String name = kind.toLowerCase() + "/web";
    assertThat(pinned)
        .containsExactly(
            new PinnedContainer(
                name,
                "migrate",
                true,
                "127.0.0.1:5000/team/web:1.2.0",
                "127.0.0.1:5000/team/web:1.2.0@" + DIGEST),
            new PinnedContainer(
                name,
                "app",
                false,
                "127.0.0.1:5000/team/web:1.2.0",
                "127.0.0.1:5000/team/web:1.2.0@" + DIGEST));
    assertThat(log.lines("INFO"))
        .containsExactly(
            "Pinned " + name + " init container migrate to 127.0.0.1:5000/team/web:1.2.0@" + DIGEST,
            "Pinned " + name + " container app to 127.0.0.1:5000/team/web:1.2.0@" + DIGEST);
  }

  @Test
  void warnsWhenTheManifestNamedAnotherTag() {
    RenderedManifest manifest = manifest(deployment("127.0.0.1:5000/team/web:latest"));
    RecordingBuildLog log = new RecordingBuildLog();
    new DigestPinner(PUSHED, Optional.empty(), DIGEST).pin(List.of(manifest), log);
    assertThat(log.lines("WARN"))
        .singleElement()
        .asString()
        .contains("deployment/web container app named tag latest")
        .contains("k8sci:image pushed 1.2.0");
  }

  @Test
  void explicitTagWinsOverTheReferenceTag() {
    RenderedManifest manifest = manifest(deployment("127.0.0.1:5000/team/web"));
    new DigestPinner("127.0.0.1:5000/team/web", Optional.of("abc123"), DIGEST)
        .pin(List.of(manifest), new RecordingBuildLog());
    assertThat(containers(manifest).get(0).getImage())
        .isEqualTo("127.0.0.1:5000/team/web:abc123@" + DIGEST);
  }

  @Test
  void keepsTheManifestTagWhenNoTagIsKnown() {
    RenderedManifest manifest = manifest(deployment("127.0.0.1:5000/team/web:mine"));
    new DigestPinner("127.0.0.1:5000/team/web", Optional.empty(), DIGEST)
        .pin(List.of(manifest), new RecordingBuildLog());
    assertThat(containers(manifest).get(0).getImage())
        .isEqualTo("127.0.0.1:5000/team/web:mine@" + DIGEST);
  }

  @Test
  void warnsWhenNothingUsesThePushedImage() {
    RenderedManifest manifest = manifest(deployment("nginx:1.27"));
    RecordingBuildLog log = new RecordingBuildLog();
    List<PinnedContainer> pinned =
        new DigestPinner(PUSHED, Optional.empty(), DIGEST).pin(List.of(manifest), log);
    assertThat(pinned).isEmpty();
    assertThat(log.lines("WARN"))
        .singleElement()
        .asString()
        .contains("No container in the manifests uses 127.0.0.1:5000/team/web");
  }

  @Test
  void leavesObjectsWithoutPodsAndCustomResourcesAlone() {
    RenderedManifest service =
        manifest(
            "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n");
    RenderedManifest rollout =
        manifest(
            """
            apiVersion: argoproj.io/v1alpha1
            kind: Rollout
            metadata: {name: web}
            spec:
              template:
                spec:
                  containers:
                  - {name: app, image: "127.0.0.1:5000/team/web:1.2.0"}
            """);
    String before = ManifestValidator.SERIALIZATION.asYaml(rollout.object());
    new DigestPinner(PUSHED, Optional.empty(), DIGEST)
        .pin(List.of(service, rollout), new RecordingBuildLog());
    assertThat(ManifestValidator.SERIALIZATION.asYaml(rollout.object())).isEqualTo(before);
  }

  @Test
  void refusesAMalformedDigest() {
    assertThatThrownBy(() -> new DigestPinner(PUSHED, Optional.empty(), "latest"))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining("'latest'")
        .hasMessageContaining("sha256:");
  }

  private static List<Container> containers(RenderedManifest manifest) {
    return DigestPinner.podSpec(manifest.object()).orElseThrow().getContainers();
  }
}
