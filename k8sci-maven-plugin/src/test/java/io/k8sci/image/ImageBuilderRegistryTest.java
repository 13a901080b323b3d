package io.k8sci.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.k8sci.K8sciException;
import io.k8sci.testing.RecordingBuildLog;
import io.k8sci.testing.image.TestJars;
import io.k8sci.testing.registry.FaultProxy;
import io.k8sci.testing.registry.RegistryServer;
import io.k8sci.testing.registry.Skopeo;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pushes to a real distribution registry over plain http (optionally through a {@link FaultProxy})
 * and checks what the registry holds with skopeo.
 */
class ImageBuilderRegistryTest {

  @AutoClose static RegistryServer registry = RegistryServer.startPlain();

  @TempDir Path dir;

  private final Skopeo skopeo = Skopeo.forRegistry(registry);

  private Path bootJar(String name, String classContent) {
    return TestJars.boot()
        .lib("spring-core-6.1.0.jar")
        .lib("shared-model-2.0-SNAPSHOT.jar")
        .layersIndex(
            """
            - "dependencies":
              - "BOOT-INF/lib/spring-core-6.1.0.jar"
            - "spring-boot-loader":
              - "org/"
            - "snapshot-dependencies":
              - "BOOT-INF/lib/shared-model-2.0-SNAPSHOT.jar"
            - "application":
              - "BOOT-INF/classes/"
              - "BOOT-INF/classpath.idx"
              - "BOOT-INF/layers.idx"
              - "META-INF/"
            """)
        .classFile("com/example/demo/DemoApplication.class", classContent)
        .writeTo(dir.resolve(name + "/demo.jar"));
  }

  private ImageBuildRequest.Builder push(Path jar, String to, RecordingBuildLog log) {
    return ImageBuildRequest.builder()
        .jar(jar)
        .from("scratch")
        .to(to)
        .allowInsecureRegistries(true)
        .outputDirectory(jar.getParent().resolve("target/k8sci"))
        .cacheDirectory(dir.resolve("cache"))
        .filesModificationTime(Instant.parse("2026-01-01T00:00:00Z"))
        .initialBackoff(Duration.ZERO)
        .log(log);
  }

  private static List<String> layerDigests(ImageRecord record) {
    return record.layers().stream().map(ImageRecord.Layer::digest).toList();
  }

  @Test
  void pushOverPlainHttpGivesTheImageSkopeoSees() {
    RecordingBuildLog log = new RecordingBuildLog();
    String to = registry.image("team/demo:1.0");

    ImageRecord record =
        new ImageBuilder()
            .build(
                push(bootJar("v1", "class v1"), to, log)
                    .tags(List.of("latest", "3f2a1b0c"))
                    .jvmFlags(List.of("-Xss512k"))
                    .environment(Map.of("SPRING_PROFILES_ACTIVE", "prod"))
                    .ports(List.of("8080/tcp"))
                    .build())
            .record();

    Skopeo.Inspection inspection = skopeo.inspect(to);
    assertThat(record.pushed()).isTrue();
    assertThat(record.reference()).isEqualTo(to);
    assertThat(record.repository()).isEqualTo(registry.host() + "/team/demo");
    assertThat(record.digest()).isEqualTo(inspection.digest());
    assertThat(record.layers())
        .extracting(ImageRecord.Layer::name)
        .containsExactly(
            "dependencies", "spring-boot-loader", "snapshot-dependencies", "application");
    assertThat(inspection.layers()).containsExactlyElementsOf(layerDigests(record));
    List<Long> manifestSizes = new ArrayList<>();
    skopeo.inspectRaw(to).get("layers").forEach(l -> manifestSizes.add(l.get("size").asLong()));
    assertThat(record.layers())
        .extracting(ImageRecord.Layer::size)
        .containsExactlyElementsOf(manifestSizes);
    assertThat(record.layers()).allMatch(l -> Boolean.TRUE.equals(l.uploaded()));

    Skopeo.ImageConfig config = skopeo.inspectConfig(to);
    assertThat(config.entrypoint())
        .containsExactly(
            "java",
            "-Xss512k",
            "-cp",
            "/app",
            "org.springframework.boot.loader.launch.JarLauncher");
    assertThat(config.envValue("SPRING_PROFILES_ACTIVE")).isEqualTo("prod");
    assertThat(config.exposedPorts()).containsExactly("8080/tcp");
    assertThat(config.workingDir()).isEqualTo("/app");
    assertThat(config.diffIds()).hasSize(4);

    assertThat(skopeo.listTags(registry.host() + "/team/demo"))
        .containsExactlyInAnyOrder("1.0", "latest", "3f2a1b0c");
    assertThat(skopeo.inspect(registry.image("team/demo:latest")).digest())
        .isEqualTo(record.digest());
    assertThat(skopeo.inspect(registry.image("team/demo:3f2a1b0c")).digest())
        .isEqualTo(record.digest());
    assertThat(record.tags()).containsExactly("1.0", "latest", "3f2a1b0c");

    assertThat(log.visible())
        .anyMatch(l -> l.contains("layer application:") && l.endsWith("uploaded"))
        .anyMatch(l -> l.contains("Pushed " + to + "@" + record.digest()))
        .anyMatch(l -> l.contains("No credentials for " + registry.host()));
  }

  @Test
  void oneClassChangeRepushUploadsOnlyTheApplicationLayerAndTheConfig() {
    String repository = "team/layered";
    new ImageBuilder()
        .build(
            push(
                    bootJar("v1", "class v1"),
                    registry.image(repository + ":v1"),
                    new RecordingBuildLog())
                .build());
    int uploadsBefore = registry.uploadedBlobDigests().size();
    RecordingBuildLog log = new RecordingBuildLog();

    ImageRecord v2 =
        new ImageBuilder()
            .build(push(bootJar("v2", "class v2"), registry.image(repository + ":v2"), log).build())
            .record();

    List<String> all = registry.uploadedBlobDigests();
    List<String> uploadedNow = all.subList(uploadsBefore, all.size());
    ImageRecord.Layer application = v2.layers().get(v2.layers().size() - 1);
    assertThat(application.name()).isEqualTo("application");
    assertThat(uploadedNow).containsExactlyInAnyOrder(application.digest(), v2.imageId());
    assertThat(v2.layers()).allMatch(l -> l.uploaded() == l.name().equals("application"));
    assertThat(log.visible())
        .anyMatch(l -> l.contains("layer dependencies:") && l.endsWith("already present"))
        .anyMatch(l -> l.contains("layer application:") && l.endsWith("uploaded"));
  }

  @Test
  void injectedServerErrorsAndDroppedConnectionsAreRetried() {
    try (FaultProxy proxy = FaultProxy.inFrontOf(registry)) {
      proxy.failNext(2, FaultProxy.HTTP_500, FaultProxy.matching("PUT", "/v2/.*/blobs/uploads/.*"));
      proxy.failNext(1, FaultProxy.DROP, FaultProxy.matching("PUT", "/v2/.*/manifests/.*"));
      RecordingBuildLog log = new RecordingBuildLog();

      ImageRecord record =
          new ImageBuilder()
              .build(push(bootJar("v1", "class flaky"), proxy.image("team/flaky:1"), log).build())
              .record();

      assertThat(proxy.faultCount()).isEqualTo(3);
      assertThat(skopeo.inspect(registry.image("team/flaky:1")).digest())
          .isEqualTo(record.digest());
      assertThat(log.lines())
          .anyMatch(
              l ->
                  l.startsWith("WARN Registry " + proxy.host() + " answered 500; retrying in")
                      && l.endsWith("(attempt 2 of 5)"));
    }
  }

  @Test
  void registryThatKeepsFailingManifestPutsFailsTheBuildAndTheTagKeepsItsOldDigest() {
    try (FaultProxy proxy = FaultProxy.inFrontOf(registry)) {
      ImageRecord v1 =
          new ImageBuilder()
              .build(
                  push(
                          bootJar("v1", "class stable"),
                          proxy.image("team/stable:prod"),
                          new RecordingBuildLog())
                      .build())
              .record();
      assertThat(skopeo.inspect(registry.image("team/stable:prod")).digest())
          .isEqualTo(v1.digest());
      proxy.clearRequests();
      proxy.failAlways(FaultProxy.HTTP_500, FaultProxy.matching("PUT", "/v2/.*/manifests/.*"));

      assertThatThrownBy(
              () ->
                  new ImageBuilder()
                      .build(
                          push(
                                  bootJar("v2", "class broken"),
                                  proxy.image("team/stable:prod"),
                                  new RecordingBuildLog())
                              .maxAttempts(3)
                              .build()))
          .isInstanceOf(K8sciException.class)
          .hasMessageContaining("Pushing " + proxy.image("team/stable:prod") + " failed: HTTP 500")
          .hasMessageContaining("The registry " + proxy.host() + " kept failing after 3 attempts")
          .hasMessageContaining("The tag was not moved");

      assertThat(proxy.requestCount(FaultProxy.matching("PUT", "/v2/.*/manifests/.*")))
          .isEqualTo(3);
      assertThat(skopeo.inspect(registry.image("team/stable:prod")).digest())
          .isEqualTo(v1.digest());
    }
  }

  @Test
  void invalidConfigurationFailsBeforeAnyRequestReachesTheRegistry() {
    try (FaultProxy proxy = FaultProxy.inFrontOf(registry)) {
      assertThatThrownBy(
              () ->
                  new ImageBuilder()
                      .build(
                          push(
                                  bootJar("v1", "class v1"),
                                  proxy.image("team/demo:1.0"),
                                  new RecordingBuildLog())
                              .tags(List.of("ok", "feature/login"))
                              .ports(List.of("http"))
                              .build()))
          .isInstanceOf(K8sciException.class)
          .hasMessageContaining("nothing was built or pushed")
          .hasMessageContaining("tags: ")
          .hasMessageContaining("feature/login")
          .hasMessageContaining("ports: \"http\"");

      assertThat(proxy.connectionCount()).isZero();
    }
  }

  @Test
  void refusedConnectionFailsAtOnceNamingHostAndPort() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    String to = "127.0.0.1:" + closedPort + "/team/demo:1";
    Path jar = bootJar("v1", "class v1");
    ImageBuildResult previous =
        new ImageBuilder()
            .build(
                push(jar, registry.image("team/refused:previous"), new RecordingBuildLog())
                    .build());
    assertThat(previous.recordFile()).exists();

    assertThatThrownBy(
            () -> new ImageBuilder().build(push(jar, to, new RecordingBuildLog()).build()))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining("Nothing answers at 127.0.0.1:" + closedPort)
        .hasMessageContaining("check the host and port");
    assertThat(previous.recordFile()).doesNotExist();
    assertThat(previous.envFile()).doesNotExist();
  }

  @Test
  void plainHttpRegistryWithoutAllowInsecureFailsAtOnceSayingSo() {
    assertThatThrownBy(
            () ->
                new ImageBuilder()
                    .build(
                        push(
                                bootJar("v1", "class v1"),
                                registry.image("team/plain:1"),
                                new RecordingBuildLog())
                            .allowInsecureRegistries(false)
                            .build()))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining("Cannot talk to the registry " + registry.host() + " (to)")
        .hasMessageContaining("it answers plain http")
        .hasMessageContaining("allowInsecureRegistries=true");
  }

  @Test
  void digestOfTheRecordIsWhatAClusterWouldPullByDigest() {
    ImageRecord record =
        new ImageBuilder()
            .build(
                push(
                        bootJar("v1", "class pinned"),
                        registry.image("team/pinned:1"),
                        new RecordingBuildLog())
                    .build())
            .record();

    JsonNode manifest = skopeo.inspectRaw(record.pinnedReference());
    assertThat(manifest.get("config").get("digest").asText()).isEqualTo(record.imageId());
  }
}
