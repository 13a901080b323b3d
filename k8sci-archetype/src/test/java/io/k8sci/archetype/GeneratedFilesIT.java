package io.k8sci.archetype;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.w3c.dom.Element;

/**
 * The generated tree as a whole: every file Velocity rendered is free of template syntax, the files
 * copied as they are stayed so, and goal.txt's build of the project ran its tests and repackaged
 * the Boot jar.
 */
class GeneratedFilesIT {

  private static final GeneratedProject PROJECT = GeneratedProject.named("orders");

  static List<Path> generatedFiles() {
    return PROJECT.sourceFiles();
  }

  @Test
  void generatesTheWholeService() {
    String packagePath = PROJECT.generation.getProperty("package").replace('.', '/');
    assertThat(generatedFiles().stream().map(Path::toString))
        .containsExactlyInAnyOrder(
            ".editorconfig",
            ".gitignore",
            ".gitlab-ci.yml",
            "README.md",
            "manifests/deployment.yaml",
            "manifests/service.yaml",
            "pom.xml",
            "src/main/java/" + packagePath + "/Application.java",
            "src/main/java/" + packagePath + "/Greeting.java",
            "src/main/java/" + packagePath + "/GreetingController.java",
            "src/main/resources/application.properties",
            "src/test/java/" + packagePath + "/ApplicationTest.java",
            "src/test/java/" + packagePath + "/GreetingControllerTest.java",
            "src/test/java/" + packagePath + "/GreetingTest.java");
  }

  @ParameterizedTest
  @MethodSource("generatedFiles")
  void leavesNoTemplateSyntaxBehind(Path file) {
    String content = PROJECT.read(file.toString());
    assertThat(content)
        .doesNotContain("#set", "symbol_dollar", "@project.version@")
        .doesNotContain("${artifactId}", "${groupId}", "${package}", "$artifactId", "$package");
    assertThat(content)
        .as("Velocity eats blank lines only where a directive stood")
        .doesNotStartWith("\n");
  }

  @ParameterizedTest
  @MethodSource("generatedFiles")
  void putsJavaSourcesInTheGeneratedPackage(Path file) {
    if (file.toString().endsWith(".java")) {
      String expected =
          file.getParent().toString().replaceFirst("^src/(main|test)/java/", "").replace('/', '.');
      assertThat(PROJECT.read(file.toString())).startsWith("package " + expected + ";\n");
      assertThat(expected).isEqualTo(PROJECT.generation.getProperty("package"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {".gitlab-ci.yml", ".gitignore", ".editorconfig"})
  void copiesThePipelineAndDotfilesWithoutFiltering(String file) throws IOException {
    assertThat(PROJECT.read(file))
        .isEqualTo(Files.readString(GeneratedProject.TEMPLATE.resolve(file)));
  }

  @Test
  void keepsTheCachesAndBuildOutputOutOfGit() {
    assertThat(PROJECT.read(".gitignore").lines()).contains("target/", ".m2/", ".k8sci-cache/");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "KUBECONFIG",
        "k8sci:kubeconfig",
        "k8sci:rbac",
        "KUBE_CONTEXT",
        "resource_group",
        "dotenv",
        "maven.deploy.skip",
        "mvn spring-boot:run",
        "image: ${k8sci.image}"
      })
  void explainsThePipelineInTheReadme(String term) {
    assertThat(PROJECT.read("README.md")).contains(term);
  }

  @Test
  void readmeTitleIsTheArtifactId() {
    List<String> lines = PROJECT.read("README.md").lines().limit(2).toList();
    assertThat(lines)
        .containsExactly(PROJECT.artifactId(), "=".repeat(PROJECT.artifactId().length()));
  }

  @Test
  void readmeDescribesEveryJob() {
    String readme = PROJECT.read("README.md");
    for (String job : List.of("test", "package", "deploy")) {
      assertThat(readme).contains("**" + job + "**");
    }
  }

  @Test
  void buildRanEveryGeneratedTestAndTheyPassed() throws Exception {
    String pkg = PROJECT.generation.getProperty("package");
    List<String> testClasses;
    try (Stream<Path> files =
        Files.list(PROJECT.dir.resolve("src/test/java/" + pkg.replace('.', '/')))) {
      testClasses = files.map(f -> f.getFileName().toString().replace(".java", "")).toList();
    }
    assertThat(testClasses).hasSizeGreaterThanOrEqualTo(3);
    for (String testClass : testClasses) {
      Path report =
          PROJECT.dir.resolve("target/surefire-reports/TEST-" + pkg + "." + testClass + ".xml");
      assertThat(report).as("surefire report of " + testClass).isRegularFile();
      Element suite =
          DocumentBuilderFactory.newInstance()
              .newDocumentBuilder()
              .parse(report.toFile())
              .getDocumentElement();
      assertThat(Integer.parseInt(suite.getAttribute("tests")))
          .as("tests in " + testClass)
          .isPositive();
      for (String bad : List.of("errors", "failures", "skipped")) {
        assertThat(suite.getAttribute(bad)).as(bad + " in " + testClass).isEqualTo("0");
      }
    }
  }

  @Test
  void buildRanK8sciImageAndRecordedTheImage() throws IOException {
    // goal.txt builds with -Dk8sci.from=jlink and no registry: the image goes to a tar file.
    Path k8sci = PROJECT.dir.resolve("target/k8sci");
    assertThat(k8sci.resolve("image.tar")).isRegularFile();
    String env = Files.readString(k8sci.resolve("image.env"));
    assertThat(env).containsPattern("(?m)^K8SCI_IMAGE_DIGEST=sha256:[0-9a-f]{64}$");
    assertThat(Files.readString(k8sci.resolve("image.json")))
        .contains("\"name\" : \"application\"")
        .contains("\"name\" : \"dependencies\"");
  }

  @Test
  void buildRepackagedALayeredBootJarForK8sciImage() throws IOException {
    Path jar =
        PROJECT.dir.resolve(
            "target/"
                + PROJECT.artifactId()
                + "-"
                + PROJECT.generation.getProperty("version")
                + ".jar");
    assertThat(jar).isRegularFile();
    try (JarFile boot = new JarFile(jar.toFile())) {
      assertThat(boot.getEntry("BOOT-INF/layers.idx")).isNotNull();
      assertThat(boot.getManifest().getMainAttributes().getValue("Start-Class"))
          .isEqualTo(PROJECT.generation.getProperty("package") + ".Application");
    }
  }
}
