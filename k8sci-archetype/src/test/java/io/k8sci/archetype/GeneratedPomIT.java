package io.k8sci.archetype;

import static io.k8sci.archetype.GeneratedProject.nodes;
import static io.k8sci.archetype.GeneratedProject.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.w3c.dom.Document;
import org.w3c.dom.Node;

/** The generated pom.xml: a Spring Boot 3.5 service whose package and deploy phases are k8sci's. */
class GeneratedPomIT {

  private static final String K8SCI_PLUGIN =
      "/project/build/plugins/plugin[groupId='io.k8sci' and artifactId='k8sci-maven-plugin']";

  private final GeneratedProject project = GeneratedProject.named("orders");
  private final Document pom = project.pom();

  @Test
  void isASpringBoot35ServiceOnJava17() {
    assertThat(text(pom, "/project/parent/groupId")).isEqualTo("org.springframework.boot");
    assertThat(text(pom, "/project/parent/artifactId")).isEqualTo("spring-boot-starter-parent");
    assertThat(text(pom, "/project/parent/version")).startsWith("3.5.");
    assertThat(text(pom, "/project/properties/java.version")).isEqualTo("17");
  }

  @ParameterizedTest
  @CsvSource({"groupId", "artifactId", "version"})
  void takesItsCoordinatesFromTheGenerationProperties(String coordinate) {
    assertThat(text(pom, "/project/" + coordinate))
        .isEqualTo(project.generation.getProperty(coordinate));
  }

  @ParameterizedTest
  @CsvSource({
    "spring-boot-starter-web,      ''",
    "spring-boot-starter-actuator, ''",
    "spring-boot-starter-test,     test"
  })
  void dependsOnTheBootStarters(String artifactId, String scope) {
    String dependency =
        "/project/dependencies/dependency[groupId='org.springframework.boot' and artifactId='"
            + artifactId
            + "']";
    assertThat(nodes(pom, dependency)).hasSize(1);
    assertThat(text(pom, dependency + "/scope")).isEqualTo(scope);
  }

  @Test
  void namesTheK8sciPluginAtTheArchetypesOwnVersion() {
    assertThat(nodes(pom, K8SCI_PLUGIN)).hasSize(1);
    assertThat(text(pom, K8SCI_PLUGIN + "/version")).isEqualTo("${k8sci.version}");
    assertThat(text(pom, "/project/properties/k8sci.version"))
        .as("the version filtered into the template when the archetype was built")
        .isEqualTo(GeneratedProject.ARCHETYPE_VERSION);
  }

  @Test
  void bindsImageToPackageAndRolloutToDeploy() {
    Map<String, String> phaseOfGoal = new LinkedHashMap<>();
    for (Node execution : nodes(pom, K8SCI_PLUGIN + "/executions/execution")) {
      for (Node goal : nodes(execution, "goals/goal")) {
        phaseOfGoal.put(goal.getTextContent().strip(), text(execution, "phase"));
      }
    }
    assertThat(phaseOfGoal)
        .containsExactly(Map.entry("image", "package"), Map.entry("rollout", "deploy"));
  }

  @Test
  void repackagesTheBootJarBeforeImagingIt() {
    List<String> plugins =
        nodes(pom, "/project/build/plugins/plugin").stream()
            .map(plugin -> text(plugin, "artifactId"))
            .toList();
    assertThat(plugins).containsSubsequence("spring-boot-maven-plugin", "k8sci-maven-plugin");
  }

  @Test
  void deployDoesNotUploadTheJarToAMavenRepository() {
    assertThat(text(pom, "/project/properties/maven.deploy.skip")).isEqualTo("true");
  }

  @Test
  void leavesEveryK8sciSettingToPropertiesPassedByCi() {
    // A k8sci.* property in the POM would override what CI passes through the environment defaults
    // (e.g. k8sci.to = $CI_REGISTRY_IMAGE); only the plugin version is pinned.
    List<String> k8sciProperties =
        nodes(pom, "/project/properties/*").stream()
            .map(Node::getNodeName)
            .filter(name -> name.startsWith("k8sci."))
            .toList();
    assertThat(k8sciProperties).containsExactly("k8sci.version");
    assertThat(nodes(pom, K8SCI_PLUGIN + "/configuration/*").stream().map(Node::getNodeName))
        .doesNotContain("to", "tags", "namespace", "context", "from", "skip");
  }
}
