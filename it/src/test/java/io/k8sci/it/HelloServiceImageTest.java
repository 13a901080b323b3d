package io.k8sci.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.k8sci.testing.podman.Podman;
import io.k8sci.testing.registry.RegistryServer;
import io.k8sci.testing.registry.Skopeo;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sample Spring Boot service, built by a real {@code mvn package} with the installed plugin,
 * {@code from = jlink}, pushed to a real registry, then pulled and run with podman: it must answer
 * on its actuator health endpoint. Nothing here comes from the internet.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HelloServiceImageTest {

  private RegistryServer registry;
  private final Podman podman = new Podman();
  private String pulled;

  @BeforeAll
  void startRegistry() {
    registry = RegistryServer.startPlain();
  }

  @AfterAll
  void stop() {
    if (pulled != null) {
      podman.rmi(pulled);
    }
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void jlinkImageIsPushedPulledAndAnswersHealth(@TempDir Path work) throws Exception {
    String repository = registry.host() + "/team/hello-service";
    MavenBuild.Result build =
        MavenBuild.ofSample("hello-service", work.resolve("hello-service"))
            .env("IMAGE_VERSION", "1.0.0-ci")
            .run(
                "package",
                "-Dk8sci.to=" + repository,
                "-Dk8sci.additionalTags=latest",
                "-Dk8sci.allowInsecureRegistries=true",
                "-Dk8sci.cacheDir=" + ItCaches.k8sciCache())
            .assertSuccess();

    Path record = build.projectDir().resolve("target/k8sci/image.json");
    JsonNode image = new ObjectMapper().readTree(Files.readString(record));
    String digest = image.get("digest").asText();
    assertThat(image.get("reference").asText()).isEqualTo(repository + ":1.0.0-ci");
    assertThat(image.get("pushed").asBoolean()).isTrue();
    assertThat(build.output()).contains("[INFO] ").contains(repository + ":1.0.0-ci@" + digest);
    assertThat(Files.readString(build.projectDir().resolve("target/k8sci/image.env")))
        .contains("K8SCI_IMAGE=" + repository + ":1.0.0-ci")
        .contains("K8SCI_IMAGE_DIGEST=" + digest);

    // An independent look at what the registry holds: both tags, the same digest, Boot's layers.
    Skopeo skopeo = Skopeo.forRegistry(registry);
    Skopeo.Inspection inspected = skopeo.inspect(repository + ":1.0.0-ci");
    assertThat(inspected.digest()).isEqualTo(digest);
    assertThat(skopeo.inspect(repository + ":latest").digest()).isEqualTo(digest);
    List<String> layerNames =
        image.get("layers").findValues("name").stream().map(JsonNode::asText).toList();
    assertThat(layerNames)
        .contains("dependencies", "spring-boot-loader", "application")
        .doesNotContain("snapshot-dependencies"); // empty in this service: no empty layer
    assertThat(inspected.layers()).hasSize(image.get("layers").size());
    Skopeo.ImageConfig config = skopeo.inspectConfig(repository + ":1.0.0-ci");
    assertThat(config.entrypoint())
        .containsExactly(
            "/opt/java/bin/java",
            "-cp",
            "/app",
            "org.springframework.boot.loader.launch.JarLauncher");
    assertThat(config.exposedPorts()).contains("8080/tcp");

    // Pull it like a node would, and run it.
    pulled = repository + "@" + digest;
    Podman.Result pull =
        podman.exec(List.of("pull", "--tls-verify=false", pulled), Duration.ofMinutes(3));
    assertThat(pull.exitCode()).as(pull.output()).isZero();
    HttpResponse<String> health =
        ServiceProbe.get(podman, pulled, "Started HelloApplication", "/actuator/health");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).contains("\"status\":\"UP\"");
  }
}
