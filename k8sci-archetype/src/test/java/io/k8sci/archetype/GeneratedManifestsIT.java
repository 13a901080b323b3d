package io.k8sci.archetype;

import static io.k8sci.archetype.GeneratedProject.cast;
import static io.k8sci.archetype.GeneratedProject.map;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringReader;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * manifests/*.yaml: valid YAML that k8sci:rollout can render (the image placeholder survived
 * Velocity), probes the application answers, and a selector that stays the same across versions.
 */
class GeneratedManifestsIT {

  private final GeneratedProject project = GeneratedProject.named("orders");
  private final String name = project.artifactId();
  private final Map<String, Object> deployment = single("manifests/deployment.yaml");
  private final Map<String, Object> service = single("manifests/service.yaml");

  private Map<String, Object> single(String file) {
    List<Map<String, Object>> documents = project.yamlDocuments(file);
    assertThat(documents).as(file).hasSize(1);
    return documents.get(0);
  }

  private Map<String, Object> container() {
    List<Map<String, Object>> containers =
        cast(map(deployment, "spec", "template", "spec").get("containers"));
    assertThat(containers).hasSize(1);
    return containers.get(0);
  }

  @ParameterizedTest
  @CsvSource({
    "manifests/deployment.yaml, apps/v1, Deployment",
    "manifests/service.yaml,    v1,      Service"
  })
  void namesTheObjectAfterTheArtifactAndLeavesTheNamespaceToK8sci(
      String file, String apiVersion, String kind) {
    Map<String, Object> object = single(file);
    assertThat(object).containsEntry("apiVersion", apiVersion).containsEntry("kind", kind);
    assertThat(map(object, "metadata")).containsEntry("name", name).doesNotContainKey("namespace");
  }

  @Test
  void selectsPodsByNameOnly() {
    assertThat(map(deployment, "spec", "selector", "matchLabels"))
        .containsExactly(Map.entry("app.kubernetes.io/name", name));
    assertThat(map(deployment, "spec", "selector")).containsOnlyKeys("matchLabels");
    assertThat(map(service, "spec", "selector"))
        .containsExactly(Map.entry("app.kubernetes.io/name", name));
  }

  @Test
  void putsPerVersionLabelsOnThePodTemplateOnly() {
    Map<String, Object> podLabels = map(deployment, "spec", "template", "metadata", "labels");
    assertThat(podLabels)
        .containsAllEntriesOf(map(deployment, "spec", "selector", "matchLabels"))
        .containsKey("app.kubernetes.io/version");
    assertThat(map(deployment, "metadata", "labels"))
        .doesNotContainKey("app.kubernetes.io/version");
  }

  @Test
  void runsTheImageK8sciPushedThroughThePlaceholder() {
    assertThat(container()).containsEntry("name", name).containsEntry("image", "${k8sci.image}");
    assertThat(project.read("manifests/deployment.yaml")).contains("image: ${k8sci.image}\n");
  }

  @Test
  void failsARolloutThatStopsProgressing() {
    assertThat(map(deployment, "spec").get("progressDeadlineSeconds"))
        .isInstanceOfSatisfying(Integer.class, seconds -> assertThat(seconds).isBetween(60, 600));
  }

  @ParameterizedTest
  @ValueSource(strings = {"requests", "limits"})
  void boundsCpuAndMemory(String kind) {
    assertThat(map(container(), "resources", kind)).containsKeys("cpu", "memory");
  }

  @ParameterizedTest
  @CsvSource({
    "readinessProbe, /actuator/health/readiness",
    "livenessProbe,  /actuator/health/liveness"
  })
  void probesTheActuatorHealthGroupsOnTheHttpPort(String probe, String path) {
    Map<String, Object> httpGet = map(container(), probe, "httpGet");
    assertThat(httpGet).containsEntry("path", path);
    assertThat(httpGet.get("port")).isEqualTo(httpPort().get("name"));
  }

  @Test
  void servesOnThePortSpringBootListensOn() {
    assertThat(httpPort()).containsEntry("containerPort", 8080);
    List<Map<String, Object>> ports = cast(map(service, "spec").get("ports"));
    assertThat(ports)
        .singleElement()
        .satisfies(p -> assertThat(p).containsEntry("targetPort", "http"));
  }

  @Test
  void enablesTheProbeEndpointsInTheApplication() throws IOException {
    Properties application = new Properties();
    application.load(new StringReader(project.read("src/main/resources/application.properties")));
    assertThat(application)
        .containsEntry("management.endpoint.health.probes.enabled", "true")
        .containsEntry("spring.application.name", name);
  }

  private Map<String, Object> httpPort() {
    List<Map<String, Object>> ports = cast(container().get("ports"));
    return ports.stream()
        .filter(p -> "http".equals(p.get("name")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no container port named http: " + ports));
  }
}
