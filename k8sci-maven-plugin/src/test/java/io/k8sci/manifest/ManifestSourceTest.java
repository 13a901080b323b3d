package io.k8sci.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.k8sci.K8sciException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ManifestSourceTest {

  @TempDir Path dir;

  /** content → the start line (first content line) of each document kept. */
  static Stream<Arguments> splits() {
    return Stream.of(
        arguments("one document", "a: 1\nb: 2\n", List.of(1)),
        arguments("leading marker", "---\na: 1\n", List.of(2)),
        arguments("two documents", "a: 1\n---\nb: 2\n", List.of(1, 3)),
        arguments("marker with a comment", "a: 1\n--- # second\nb: 2\n", List.of(1, 3)),
        arguments("empty documents skipped", "---\n---\n\n---\na: 1\n---\n", List.of(5)),
        arguments(
            "comment-only document skipped", "# header\n---\n# nothing\n---\na: 1\n", List.of(5)),
        arguments("leading comments belong to the document", "# web\n\na: 1\n", List.of(3)),
        arguments("end marker", "a: 1\n...\n---\nb: 2\n", List.of(1, 4)),
        arguments("CRLF line ends", "a: 1\r\n---\r\nb: 2\r\n", List.of(1, 3)),
        arguments("no final newline", "a: 1\n---\nb: 2", List.of(1, 3)),
        arguments(
            "dashes inside a block scalar are not a marker when indented",
            "a: |\n  ---\n  x\n---\nb: 1\n",
            List.of(1, 5)),
        arguments("four dashes are content, not a marker", "a: 1\n----\n", List.of(1)),
        arguments("only blanks", "\n\n   \n", List.of()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("splits")
  void splitsDocumentsKeepingTheirLines(String description, String content, List<Integer> starts) {
    List<ManifestDocument> documents = ManifestSource.split(Path.of("m.yaml"), content);
    assertThat(documents).extracting(d -> d.start().line()).containsExactlyElementsOf(starts);
  }

  @Test
  void documentTextMapsBackToFileLines() {
    String content = "a: 1\n---\nkind: B\nname: x\n";
    ManifestDocument second = ManifestSource.split(Path.of("m.yaml"), content).get(1);
    // line 3 of the document's text is "name: x", line 4 of the file
    assertThat(second.text().split("\n")[2]).isEqualTo("name: x");
    assertThat(second.locate(3, 1)).isEqualTo(new SourceLocation(Path.of("m.yaml"), 4, 1));
  }

  @Test
  void jsonFileIsOneDocument() {
    List<ManifestDocument> documents =
        ManifestSource.split(Path.of("cm.json"), "\n{\"kind\": \"ConfigMap\"}\n");
    assertThat(documents).hasSize(1);
    assertThat(documents.get(0).start().line()).isEqualTo(2);
  }

  @Test
  void directoryIsReadSortedByNameNotRecursivelyYamlYmlJsonOnly() throws Exception {
    write("b-service.yml", "kind: Service\n");
    write("a-config.yaml", "kind: ConfigMap\n---\nkind: Secret\n");
    write("c-deploy.json", "{\"kind\": \"Deployment\"}");
    write("README.md", "kind: Nope\n");
    write("notes.txt", "kind: Nope\n");
    write(".#a-config.yaml", "kind: EditorBackup\n");
    Files.createDirectories(dir.resolve("overlays"));
    write("overlays/prod.yaml", "kind: Overlay\n");

    List<ManifestDocument> documents = ManifestSource.load(dir);

    assertThat(documents)
        .extracting(d -> d.file().getFileName().toString() + ":" + d.text().strip())
        .containsExactly(
            "a-config.yaml:kind: ConfigMap",
            "a-config.yaml:---\nkind: Secret",
            "b-service.yml:kind: Service",
            "c-deploy.json:{\"kind\": \"Deployment\"}");
  }

  @Test
  void singleFileOfAnyNameIsRead() throws Exception {
    Path file = write("deployment.yaml.tmpl", "kind: Deployment\n");
    assertThat(ManifestSource.load(file)).hasSize(1);
  }

  @Test
  void byteOrderMarkIsDropped() throws Exception {
    Path file = write("bom.yaml", "\uFEFFkind: Deployment\n");
    assertThat(ManifestSource.load(file).get(0).text()).isEqualTo("kind: Deployment\n");
  }

  @Test
  void missingPathIsNamed() {
    Path missing = dir.resolve("k8s");
    assertThatThrownBy(() -> ManifestSource.load(missing))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining(missing.toString())
        .hasMessageContaining("does not exist");
  }

  @Test
  void directoryWithoutManifestsIsAnError() throws Exception {
    write("README.md", "nothing\n");
    write("empty.yaml", "# only a comment\n---\n");
    assertThatThrownBy(() -> ManifestSource.load(dir))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining("No manifests in " + dir)
        .hasMessageContaining("*.yaml, *.yml and *.json");
  }

  @Test
  void nonUtf8FileIsNamed() throws Exception {
    Path file = dir.resolve("latin1.yaml");
    Files.write(file, "name: caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
    assertThatThrownBy(() -> ManifestSource.load(file))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("UTF-8");
  }

  private Path write(String name, String content) throws Exception {
    Path file = dir.resolve(name);
    Files.writeString(file, content);
    return file;
  }
}
