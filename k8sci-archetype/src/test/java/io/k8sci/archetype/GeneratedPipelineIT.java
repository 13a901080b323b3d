package io.k8sci.archetype;

import static io.k8sci.archetype.GeneratedProject.cast;
import static io.k8sci.archetype.GeneratedProject.map;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * .gitlab-ci.yml: parses, and replaces Docker-in-Docker, Kaniko and kubectl with one unprivileged
 * Maven image, hands the pushed digest from package to deploy, and never runs two deploys at once.
 */
class GeneratedPipelineIT {

  private static final List<String> JOBS = List.of("test", "package", "deploy");

  private final GeneratedProject project = GeneratedProject.named("orders");
  private final Map<String, Object> pipeline = project.yaml(".gitlab-ci.yml");

  private Map<String, Object> job(String name) {
    return map(pipeline, name);
  }

  private List<String> script(String job) {
    return cast(job(job).get("script"));
  }

  /** The Maven command lines of a job's script, split into words. */
  private List<List<String>> mavenCommands(String job) {
    return script(job).stream()
        .filter(line -> line.startsWith("mvn "))
        .map(line -> Arrays.asList(line.split("\\s+")))
        .toList();
  }

  @Test
  void runsTestThenPackageThenDeploy() {
    assertThat(pipeline.get("stages")).isEqualTo(JOBS);
    for (String job : JOBS) {
      assertThat(job(job)).as(job).containsEntry("stage", job);
    }
  }

  @Test
  void needsNeitherADaemonNorPrivilegesNorExtraImages() {
    List<String> everything = new ArrayList<>();
    flatten(pipeline, everything);
    assertThat(everything)
        .noneMatch(word -> word.equals("services"))
        .noneMatch(word -> word.toLowerCase().contains("privileged"))
        .noneMatch(word -> word.contains("DOCKER_HOST") || word.contains("dind"))
        .noneMatch(word -> word.toLowerCase().contains("kaniko"))
        .noneMatch(word -> word.contains("kubectl") || word.contains("docker "));
  }

  @Test
  void runsEveryJobInOnePlainMavenImage() {
    assertThat(map(pipeline, "default").get("image"))
        .isInstanceOfSatisfying(
            String.class, image -> assertThat(image).startsWith("maven:3.9-eclipse-temurin-17"));
    for (String job : JOBS) {
      assertThat(job(job)).as(job).doesNotContainKey("image").doesNotContainKey("services");
      assertThat(mavenCommands(job)).as(job).isNotEmpty();
    }
  }

  @Test
  void cachesMavenAndK8sciInsideTheProjectDirectory() {
    Map<String, Object> variables = map(pipeline, "variables");
    assertThat((String) variables.get("MAVEN_OPTS"))
        .contains("-Dmaven.repo.local=$CI_PROJECT_DIR/.m2/repository");
    assertThat((String) variables.get("MAVEN_CLI_OPTS"))
        .contains("-Dk8sci.cacheDir=$CI_PROJECT_DIR/.k8sci-cache");
    for (Map<String, Object> cache :
        List.of(map(pipeline, "default", "cache"), map(pipeline, "deploy", "cache"))) {
      List<String> paths = cast(cache.get("paths"));
      assertThat(paths).containsExactly(".m2/repository", ".k8sci-cache");
    }
    assertThat(map(pipeline, "deploy", "cache")).containsEntry("policy", "pull");
    for (String job : JOBS) {
      assertThat(mavenCommands(job))
          .as(job)
          .allSatisfy(cmd -> assertThat(cmd).contains("$MAVEN_CLI_OPTS"));
    }
  }

  @Test
  void tagsTheImageWithTheGitTagElseTheShortSha() {
    assertThat(map(pipeline, "variables")).containsEntry("IMAGE_VERSION", "$CI_COMMIT_SHORT_SHA");
    List<Map<String, Object>> rules = cast(map(pipeline, "workflow").get("rules"));
    assertThat(rules)
        .anySatisfy(
            rule -> {
              assertThat(rule).containsEntry("if", "$CI_COMMIT_TAG");
              assertThat(map(rule, "variables")).containsEntry("IMAGE_VERSION", "$CI_COMMIT_TAG");
            });
  }

  @Test
  void packageBuildsTheImageAndHandsItsDigestOnAsDotenv() {
    assertThat(mavenCommands("package"))
        .singleElement()
        .satisfies(cmd -> assertThat(cmd).contains("package"));
    Map<String, Object> artifacts = map(job("package"), "artifacts");
    assertThat(map(artifacts, "reports")).containsEntry("dotenv", "target/k8sci/image.env");
    assertThat((List<String>) cast(artifacts.get("paths")))
        .contains("target/k8sci/image.json", "target/k8sci/image.env");
  }

  @Test
  void deployOnlyRollsOutWhatPackagePushed() {
    assertThat(mavenCommands("deploy"))
        .singleElement()
        .satisfies(
            cmd -> {
              List<String> goalsAndPhases =
                  cmd.subList(1, cmd.size()).stream()
                      .filter(word -> !word.startsWith("-") && !word.startsWith("$"))
                      .toList();
              assertThat(goalsAndPhases).containsExactly("k8sci:rollout");
            });
    List<Map<String, Object>> needs = cast(job("deploy").get("needs"));
    assertThat(needs).containsExactly(Map.of("job", "package", "artifacts", true));
    assertThat(job("deploy").get("rules")).isEqualTo(job("package").get("rules"));
  }

  @Test
  void deploysToAnEnvironmentOneAtATime() {
    Map<String, Object> deploy = job("deploy");
    assertThat((String) map(deploy, "environment").get("name")).isNotBlank();
    assertThat(deploy.get("resource_group"))
        .isInstanceOfSatisfying(String.class, g -> assertThat(g).isNotBlank());
    assertThat(deploy).containsEntry("interruptible", false);
  }

  @ParameterizedTest
  @ValueSource(strings = {"package", "deploy"})
  void buildsAndDeploysOnlyTheDefaultBranchAndTags(String job) {
    List<Map<String, Object>> rules = cast(job(job).get("rules"));
    assertThat(rules.stream().map(rule -> rule.get("if")))
        .containsExactlyInAnyOrder("$CI_COMMIT_TAG", "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH");
  }

  private static void flatten(Object node, List<String> into) {
    if (node instanceof Map<?, ?> mapping) {
      mapping.forEach(
          (key, value) -> {
            into.add(String.valueOf(key));
            flatten(value, into);
          });
    } else if (node instanceof List<?> list) {
      list.forEach(item -> flatten(item, into));
    } else if (node != null) {
      into.add(String.valueOf(node));
    }
  }
}
