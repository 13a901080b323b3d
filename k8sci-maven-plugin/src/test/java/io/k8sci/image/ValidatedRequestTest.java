package io.k8sci.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.cloud.tools.jib.api.buildplan.Port;
import io.k8sci.K8sciException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class ValidatedRequestTest {

  private static final Path JAR = Path.of("target/demo-1.0.jar");

  private static ImageBuildRequest.Builder valid() {
    return ImageBuildRequest.builder().jar(JAR).to("registry.example.com/team/demo:1.0");
  }

  static Stream<Arguments> invalidFields() {
    return Stream.<Arguments>of(
        Arguments.of(
            (UnaryOperator<ImageBuildRequest.Builder>)
                b -> b.to("Registry.example.com/Team/Demo:1"),
            "to: "),
        Arguments.of(
            (UnaryOperator<ImageBuildRequest.Builder>)
                b -> b.to("registry.example.com/team/demo:${CI_COMMIT_SHORT_SHA}"),
            "to: "),
        Arguments.of(
            (UnaryOperator<ImageBuildRequest.Builder>)
                b -> b.to("registry.example.com/team/demo@sha256:" + "a".repeat(64)),
            "names a digest"),
        Arguments.of(
            (UnaryOperator<ImageBuildRequest.Builder>) b -> b.from("eclipse temurin:17"), "from: "),
        Arguments.of(
            (UnaryOperator<ImageBuildRequest.Builder>) b -> b.tags(List.of("feature/login")),
            "tags: "),
        Arguments.of(
            (UnaryOperator<ImageBuildRequest.Builder>) b -> b.tags(List.of("-rc1")), "tags: "),
        Arguments.of(
            (UnaryOperator<ImageBuildRequest.Builder>) b -> b.tags(List.of("x".repeat(129))),
            "tags: "),
        Arguments.of(
            (UnaryOperator<ImageBuildRequest.Builder>) b -> b.to(null).tarImageName("Demo App"),
            "tarImageName: "),
        Arguments.of(
            (UnaryOperator<ImageBuildRequest.Builder>) b -> b.appRoot("app"),
            "appRoot: \"app\" must be an absolute path"),
        Arguments.of(
            (UnaryOperator<ImageBuildRequest.Builder>) b -> b.appRoot("/"), "appRoot: \"/\""),
        Arguments.of(
            (UnaryOperator<ImageBuildRequest.Builder>) b -> b.workingDirectory("srv"),
            "workingDirectory: "),
        Arguments.of(
            (UnaryOperator<ImageBuildRequest.Builder>) b -> b.ports(List.of("http")),
            "ports: \"http\""),
        Arguments.of(
            (UnaryOperator<ImageBuildRequest.Builder>) b -> b.ports(List.of("70000")),
            "out of the range"),
        Arguments.of(
            (UnaryOperator<ImageBuildRequest.Builder>) b -> b.ports(List.of("8080/sctp")),
            "ports: \"8080/sctp\""),
        Arguments.of(
            (UnaryOperator<ImageBuildRequest.Builder>) b -> b.environment(Map.of("MY-VAR", "x")),
            "environment: \"MY-VAR\""),
        Arguments.of(
            (UnaryOperator<ImageBuildRequest.Builder>) b -> b.labels(Map.of("a label", "x")),
            "labels: \"a label\""),
        Arguments.of(
            (UnaryOperator<ImageBuildRequest.Builder>) b -> b.user("app user"),
            "user: \"app user\""),
        Arguments.of(
            (UnaryOperator<ImageBuildRequest.Builder>) b -> b.jvmFlags(List.of("-Xmx1g", " ")),
            "jvmFlags: "),
        Arguments.of(
            (UnaryOperator<ImageBuildRequest.Builder>)
                b -> b.filesModificationTime(Instant.parse("1969-12-31T00:00:00Z")),
            "filesModificationTime: "),
        Arguments.of(
            (UnaryOperator<ImageBuildRequest.Builder>)
                b -> b.registryMirrors(Map.of("docker.io", List.of("not a host"))),
            "registryMirrors: mirror \"not a host\""),
        Arguments.of(
            (UnaryOperator<ImageBuildRequest.Builder>)
                b -> b.caCertificates(Path.of("/nonexistent/ca.pem")),
            "caCertificates: /nonexistent/ca.pem does not exist"),
        Arguments.of(
            (UnaryOperator<ImageBuildRequest.Builder>) b -> b.maxAttempts(0), "maxAttempts: "),
        Arguments.of(
            (UnaryOperator<ImageBuildRequest.Builder>)
                b -> b.from("jlink").jdkHome(Path.of("/nonexistent-jdk")),
            "jdkHome: /nonexistent-jdk has no bin/jlink"),
        Arguments.of(
            (UnaryOperator<ImageBuildRequest.Builder>)
                b -> b.additionalJlinkModules(java.util.Set.of("java.sql", "not a module")),
            "additionalJlinkModules: \"not a module\""));
  }

  @ParameterizedTest
  @MethodSource("invalidFields")
  void invalidFieldIsReportedByName(
      UnaryOperator<ImageBuildRequest.Builder> change, String expected) {
    ImageBuildRequest request = change.apply(valid()).build();

    assertThatThrownBy(() -> ValidatedRequest.of(request))
        .isInstanceOf(K8sciException.class)
        .hasMessageStartingWith("The image configuration is invalid (nothing was built or pushed)")
        .hasMessageContaining(expected);
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    ImageBuildRequest request =
        valid().tags(List.of("ok", "a/b")).ports(List.of("x")).appRoot("rel").build();

    assertThatThrownBy(() -> ValidatedRequest.of(request))
        .hasMessageContaining("tags: ")
        .hasMessageContaining("ports: ")
        .hasMessageContaining("appRoot: ");
  }

  @Test
  void defaultsAreTheDocumentedOnes() {
    ValidatedRequest v = ValidatedRequest.of(ImageBuildRequest.builder().jar(JAR).build());

    assertThat(v.request.effectiveFrom()).isEqualTo("eclipse-temurin:17-jre");
    assertThat(v.baseKind).isEqualTo(ValidatedRequest.BaseKind.REGISTRY);
    assertThat(v.base.orElseThrow().getRegistry()).isEqualTo("registry-1.docker.io");
    assertThat(v.base.orElseThrow().getRepository()).isEqualTo("library/eclipse-temurin");
    assertThat(v.target).isEmpty();
    assertThat(v.tarName.getRepository()).isEqualTo("library/demo-1.0");
    assertThat(v.tarName.getTag()).contains("latest");
    assertThat(v.appRoot.toString()).isEqualTo("/app");
    assertThat(v.workingDirectory.toString()).isEqualTo("/app");
    assertThat(v.filesModificationTime).isEqualTo(Instant.ofEpochSecond(1));
    assertThat(v.request.creationTime()).isEqualTo(Instant.EPOCH);
    assertThat(v.request.outputDirectory())
        .isEqualTo(JAR.toAbsolutePath().getParent().resolve("k8sci"));
    assertThat(v.request.tarPath()).isEqualTo(v.request.outputDirectory().resolve("image.tar"));
    assertThat(v.request.cacheDirectory()).isEqualTo(v.request.outputDirectory().resolve("cache"));
    assertThat(v.ports).isEmpty();
    assertThat(v.registryMirrors).isEmpty();
  }

  @Test
  void javaReleasePicksTheDefaultBaseAndDigestPinningIsAReference() {
    assertThat(ImageBuildRequest.builder().jar(JAR).javaRelease(21).build().effectiveFrom())
        .isEqualTo("eclipse-temurin:21-jre");
    String pinned = "eclipse-temurin:21-jre@sha256:" + "0".repeat(64);

    ValidatedRequest v = ValidatedRequest.of(valid().from(pinned).build());

    assertThat(v.base.orElseThrow().getDigest()).contains("sha256:" + "0".repeat(64));
  }

  @ParameterizedTest
  @CsvSource({"scratch,SCRATCH", "SCRATCH,SCRATCH", "jlink,JLINK"})
  void specialBaseValues(String from, ValidatedRequest.BaseKind kind) {
    ValidatedRequest v = ValidatedRequest.of(valid().from(from).build());

    assertThat(v.baseKind).isEqualTo(kind);
    assertThat(v.base).isEmpty();
  }

  @Test
  void portsAcceptProtocolsAndRanges() {
    ValidatedRequest v =
        ValidatedRequest.of(
            valid().ports(List.of("8080", "8081/tcp", "9000/udp", "7000-7002")).build());

    assertThat(v.ports)
        .containsExactly(
            Port.tcp(8080),
            Port.tcp(8081),
            Port.udp(9000),
            Port.tcp(7000),
            Port.tcp(7001),
            Port.tcp(7002));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "registry.example.com/team/demo:1.0 | a,b     | 1.0    | a,b",
        "registry.example.com/team/demo:1.0 | 1.0,b   | 1.0    | b",
        "registry.example.com/team/demo     | 7f3e2a1b,latest | 7f3e2a1b | latest",
        "registry.example.com/team/demo     |         | latest |"
      })
  void referenceWithoutTagTakesTheFirstTag(
      String to, String tags, String expectedTag, String expectedAdditional) {
    List<String> tagList = tags == null ? List.of() : List.of(tags.split(","));
    List<String> additional =
        expectedAdditional == null ? List.of() : List.of(expectedAdditional.split(","));

    ValidatedRequest v = ValidatedRequest.of(valid().to(to).tags(tagList).build());

    assertThat(v.target.orElseThrow().getTag()).contains(expectedTag);
    assertThat(v.additionalTags).containsExactlyElementsOf(additional);
  }

  @Test
  void tarNameIsTaggedWithTheFirstTag() {
    ValidatedRequest v =
        ValidatedRequest.of(
            ImageBuildRequest.builder().jar(JAR).tags(List.of("1.2.3", "x")).build());

    assertThat(v.tarName.getRepository()).isEqualTo("library/demo-1.0");
    assertThat(v.tarName.getTag()).contains("1.2.3");
    assertThat(v.additionalTags).containsExactly("x");
  }

  @Test
  void additionalTagsAreDeduplicatedInOrder() {
    ValidatedRequest v =
        ValidatedRequest.of(valid().tags(List.of("latest", "abc", "latest")).build());

    assertThat(v.additionalTags).containsExactly("latest", "abc");
  }

  @Test
  void dockerHubAliasesAndSchemesAreNormalizedForJib() {
    List<String> notes = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    ImageBuildRequest request =
        valid()
            .registryMirrors(
                Map.of(
                    "docker.io", List.of("https://mirror.gcr.io", "harbor.example.com:8443/proxy/"),
                    "quay.io", List.of("quay-mirror.example.com")))
            .build();

    Map<String, List<String>> mirrors = ValidatedRequest.mirrors(request, notes, problems);

    assertThat(problems).isEmpty();
    assertThat(mirrors)
        .containsEntry(
            "registry-1.docker.io", List.of("mirror.gcr.io", "harbor.example.com:8443/proxy"))
        .containsEntry("quay.io", List.of("quay-mirror.example.com"));
  }

  @Test
  void dockerRegistryMirrorVariableMirrorsDockerHubUnlessConfigured() {
    List<String> notes = new ArrayList<>();
    Map<String, List<String>> fromEnvironment =
        ValidatedRequest.mirrors(
            valid()
                .systemEnvironment(Map.of("DOCKER_REGISTRY_MIRROR", "http://10.0.0.5:5000/"))
                .build(),
            notes,
            new ArrayList<>());

    assertThat(fromEnvironment)
        .containsExactly(Map.entry("registry-1.docker.io", List.of("10.0.0.5:5000")));
    assertThat(notes)
        .containsExactly("Using $DOCKER_REGISTRY_MIRROR 10.0.0.5:5000 as a mirror of docker.io.");

    List<String> notes2 = new ArrayList<>();
    Map<String, List<String>> configured =
        ValidatedRequest.mirrors(
            valid()
                .registryMirrors(Map.of("index.docker.io", List.of("mirror.gcr.io")))
                .systemEnvironment(Map.of("DOCKER_REGISTRY_MIRROR", "10.0.0.5:5000"))
                .build(),
            notes2,
            new ArrayList<>());

    assertThat(configured)
        .containsExactly(Map.entry("registry-1.docker.io", List.of("mirror.gcr.io")));
    assertThat(notes2).singleElement().asString().contains("is ignored");
  }

  @ParameterizedTest
  @CsvSource({
    "demo-0.0.1-SNAPSHOT.jar, demo-0.0.1-snapshot",
    "My_App.jar, my_app",
    "---.jar, app",
    "service v2.JAR, service-v2"
  })
  void defaultTarNameComesFromTheJar(String jar, String expected) {
    assertThat(ValidatedRequest.defaultTarName(Path.of(jar))).isEqualTo(expected);
  }
}
