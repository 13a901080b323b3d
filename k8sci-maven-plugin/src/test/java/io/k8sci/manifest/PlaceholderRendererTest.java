package io.k8sci.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PlaceholderRendererTest {

  static final Path FILE = Path.of("k8s", "deployment.yaml");

  static PlaceholderRenderer renderer() {
    return new PlaceholderRenderer(
        Map.of(
            "k8sci.image", Optional.of("127.0.0.1:5000/team/web:1.2.0"),
            "k8sci.imageDigest", Optional.of("sha256:" + "a".repeat(64)),
            "k8sci.imageTag", Optional.of("1.2.0"),
            "project.version", Optional.of("1.2.0-SNAPSHOT"),
            "k8sci.namespace", Optional.of("team")),
        Map.of("replicas", "3", "db.url", "jdbc:postgresql://db/app", "empty", ""),
        Map.of("CI_COMMIT_SHORT_SHA", "0a1b2c3d", "DB_PASSWORD", "hunter2-secret"),
        Optional.of("1.2.0"));
  }

  static Stream<Arguments> rendered() {
    return Stream.of(
        arguments("image: web:__IMAGE_VERSION_SLUG__", "image: web:1.2.0"),
        arguments(
            "tag: __IMAGE_VERSION_SLUG__, again: __IMAGE_VERSION_SLUG__",
            "tag: 1.2.0, again: 1.2.0"),
        arguments("image: ${k8sci.image}", "image: 127.0.0.1:5000/team/web:1.2.0"),
        arguments("digest: ${k8sci.imageDigest}", "digest: sha256:" + "a".repeat(64)),
        arguments("version: ${project.version}", "version: 1.2.0-SNAPSHOT"),
        arguments("ns: ${k8sci.namespace}", "ns: team"),
        arguments("replicas: ${replicas}", "replicas: 3"),
        arguments("url: ${db.url}", "url: jdbc:postgresql://db/app"),
        arguments("sha: ${env.CI_COMMIT_SHORT_SHA}", "sha: 0a1b2c3d"),
        arguments("empty: '${empty}'", "empty: ''"),
        arguments("two: ${replicas}${replicas}", "two: 33"),
        arguments("args: [\"--port=$(PORT)\"]", "args: [\"--port=$(PORT)\"]"),
        arguments("value: $$(PORT)", "value: $$(PORT)"),
        arguments("script: echo $HOME", "script: echo $HOME"),
        arguments("literal: $${HOME}", "literal: ${HOME}"),
        arguments("literal: $${k8sci.image}", "literal: ${k8sci.image}"),
        arguments("price: 5$ {not}", "price: 5$ {not}"),
        arguments("unicode: café ${replicas}", "unicode: café 3"),
        arguments("# comment ${replicas}", "# comment 3"),
        arguments("crlf: ${replicas}\r\nnext: 1\r\n", "crlf: 3\r\nnext: 1\r\n"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rendered")
  void rendersPlaceholders(String text, String expected) {
    List<ManifestProblem> problems = new ArrayList<>();
    String result = renderer().render(new ManifestDocument(FILE, 1, text), problems);
    assertThat(problems).isEmpty();
    assertThat(result).isEqualTo(expected);
  }

  /** text on line 1 of a document starting at file line 10 → location and message part. */
  static Stream<Arguments> unresolved() {
    return Stream.of(
        arguments("image: ${k8sci.imag}", 8, "${k8sci.imag} is not known"),
        arguments("a: ${unknown}", 4, "${unknown} is not known"),
        arguments("a: ${env.MISSING}", 4, "environment variable MISSING is not set"),
        arguments("a: ${env.BAD-NAME}", 4, "not a valid environment variable name"),
        arguments("a: ${}", 4, "'${}' is not a valid placeholder name"),
        arguments("a: ${ replicas }", 4, "not a valid placeholder name"),
        arguments("a: ${replicas", 4, "'${' is not closed by '}' on the same line"),
        arguments("  value: x-${nope}", 12, "${nope} is not known"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("unresolved")
  void reportsUnresolvedWithFileLineAndColumn(String text, int column, String message) {
    List<ManifestProblem> problems = new ArrayList<>();
    renderer().render(new ManifestDocument(FILE, 10, text + "\n"), problems);
    assertThat(problems).hasSize(1);
    assertThat(problems.get(0).location()).isEqualTo(new SourceLocation(FILE, 10, column));
    assertThat(problems.get(0).message()).contains(message);
  }

  @Test
  void imageVersionSlugWithoutTagIsAnError() {
    PlaceholderRenderer noTag =
        new PlaceholderRenderer(
            Map.of("k8sci.image", Optional.empty()), Map.of(), Map.of(), Optional.empty());
    List<ManifestProblem> problems = new ArrayList<>();
    noTag.render(
        new ManifestDocument(
            FILE, 5, "a: 1\nimage: web:__IMAGE_VERSION_SLUG__\nb: ${k8sci.image}\n"),
        problems);
    assertThat(problems)
        .extracting(ManifestProblem::toString)
        .containsExactly(
            FILE
                + ":6:12: __IMAGE_VERSION_SLUG__ needs the image tag, but no image tag is known"
                + " (run k8sci:image in the same build, or give the image tag)",
            FILE
                + ":7:4: ${k8sci.image} has no value in this build (no image known: run"
                + " k8sci:image in the same build, or give the image)");
  }

  @Test
  void collectsEveryUnresolvedPlaceholderOfEveryFileInOneError() {
    Path other = Path.of("k8s", "service.yaml");
    List<ManifestDocument> documents =
        List.of(
            new ManifestDocument(FILE, 1, "a: ${one}\nb: ${replicas}\nc: ${two}\n"),
            new ManifestDocument(FILE, 4, "---\nd: ${env.NOPE}\n"),
            new ManifestDocument(other, 1, "e: ${three} ${four}\n"));
    assertThatThrownBy(() -> renderer().renderAll(documents))
        .isInstanceOf(ManifestException.class)
        .satisfies(
            e ->
                assertThat(((ManifestException) e).problems())
                    .extracting(p -> p.location().toString())
                    .containsExactly(
                        FILE + ":1:4",
                        FILE + ":3:4",
                        FILE + ":5:4",
                        other + ":1:4",
                        other + ":1:13"))
        .hasMessageContaining("5 problems")
        .hasMessageContaining("nothing was applied")
        .hasMessageContaining("${one} is not known")
        .hasMessageContaining("Write $${...} for a literal ${...}")
        .hasMessageContaining("variables: db.url, empty, replicas");
  }

  @Test
  void renderAllKeepsDocumentsAndPlaces() {
    List<ManifestDocument> rendered =
        renderer().renderAll(List.of(new ManifestDocument(FILE, 7, "n: ${replicas}\n")));
    assertThat(rendered).containsExactly(new ManifestDocument(FILE, 7, "n: 3\n"));
  }

  @Test
  void errorsNeverShowValues() {
    List<ManifestDocument> documents =
        List.of(
            new ManifestDocument(
                FILE, 1, "p: ${env.DB_PASSWORD}\nq: ${env.DB_PASSWORD_TYPO}\nr: ${x}\n"));
    assertThatThrownBy(() -> renderer().renderAll(documents))
        .isInstanceOf(ManifestException.class)
        .hasMessageNotContaining("hunter2-secret")
        .hasMessageNotContaining("0a1b2c3d")
        .hasMessageNotContaining("jdbc:postgresql");
  }

  @Test
  void variablesMayNotShadowBuiltIns() {
    assertThatThrownBy(
            () ->
                new PlaceholderRenderer(
                    Map.of("k8sci.image", Optional.of("x")),
                    Map.of("k8sci.image", "y"),
                    Map.of(),
                    Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("k8sci.image");
    assertThatThrownBy(
            () ->
                new PlaceholderRenderer(
                    Map.of(), Map.of("env.HOME", "y"), Map.of(), Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("env.HOME");
    assertThatThrownBy(
            () -> new PlaceholderRenderer(Map.of(), Map.of("a b", "y"), Map.of(), Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'a b'");
  }
}
