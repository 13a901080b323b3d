package io.k8sci.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.k8sci.K8sciException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ImageRecordTest {

  private static final String DIGEST = "sha256:" + "a".repeat(64);
  private static final String IMAGE_ID = "sha256:" + "b".repeat(64);
  private static final String LAYER = "sha256:" + "c".repeat(64);

  @TempDir Path dir;

  private static ImageRecord pushed() {
    return new ImageRecord(
        "registry.example.com:5000/group/demo:1a2b3c4d",
        "registry.example.com:5000/group/demo",
        "1a2b3c4d",
        DIGEST,
        IMAGE_ID,
        List.of("1a2b3c4d", "main"),
        true,
        null,
        List.of(
            new ImageRecord.Layer("dependencies", LAYER, 1234, false),
            new ImageRecord.Layer("application", "sha256:" + "d".repeat(64), 56, true)),
        "eclipse-temurin:17-jre",
        "sha256:" + "e".repeat(64),
        "2026-01-02T03:04:05Z",
        4321);
  }

  @Test
  void writesJsonAndDotenvAndReadsTheJsonBack() throws Exception {
    ImageRecord record = pushed();

    record.write(dir.resolve("k8sci"));

    assertThat(ImageRecord.read(dir.resolve("k8sci/image.json"))).isEqualTo(record);
    assertThat(dir.resolve("k8sci/image.env"))
        .hasContent(
            "K8SCI_IMAGE=registry.example.com:5000/group/demo:1a2b3c4d\n"
                + "K8SCI_IMAGE_DIGEST="
                + DIGEST
                + "\n"
                + "K8SCI_IMAGE_REPOSITORY=registry.example.com:5000/group/demo");
    JsonNode json = new ObjectMapper().readTree(dir.resolve("k8sci/image.json").toFile());
    assertThat(json.get("reference").asText())
        .isEqualTo("registry.example.com:5000/group/demo:1a2b3c4d");
    assertThat(json.get("digest").asText()).isEqualTo(DIGEST);
    assertThat(json.get("pushed").asBoolean()).isTrue();
    assertThat(json.has("tarPath")).isFalse();
    assertThat(json.get("layers").get(0).get("name").asText()).isEqualTo("dependencies");
    assertThat(json.get("layers").get(0).get("size").asLong()).isEqualTo(1234);
    assertThat(json.get("layers").get(1).get("uploaded").asBoolean()).isTrue();
    assertThat(dir.resolve("k8sci")).isDirectoryNotContaining("glob:**.tmp");
  }

  @Test
  void pinnedReferenceIsRepositoryAtDigest() {
    assertThat(pushed().pinnedReference())
        .isEqualTo("registry.example.com:5000/group/demo@" + DIGEST);
  }

  @Test
  void unknownFieldsAreIgnoredSoNewerWritersStayReadable() throws Exception {
    Path file = dir.resolve("image.json");
    Files.writeString(
        file,
        "{\"reference\":\"r/demo:1\",\"repository\":\"r/demo\",\"digest\":\""
            + DIGEST
            + "\",\"somethingNew\":{\"x\":1}}");

    ImageRecord record = ImageRecord.read(file);

    assertThat(record.reference()).isEqualTo("r/demo:1");
    assertThat(record.layers()).isEmpty();
    assertThat(record.tags()).isEmpty();
  }

  static Stream<Arguments> badRecords() {
    return Stream.of(
        Arguments.of("{not json", "is not a valid image record"),
        Arguments.of("{\"reference\":\"r/demo:1\",\"repository\":\"r/demo\"}", "lacks digest"),
        Arguments.of(
            "{\"reference\":\"r/demo:1\",\"repository\":\"r/demo\",\"digest\":\"sha256:abc\"}",
            "lacks digest"),
        Arguments.of("{\"digest\":\"" + DIGEST + "\"}", "lacks reference, repository"),
        Arguments.of("null", "lacks everything"));
  }

  @ParameterizedTest
  @MethodSource("badRecords")
  void unusableRecordFailsNamingTheFile(String content, String problem) throws Exception {
    Path file = dir.resolve("image.json");
    Files.writeString(file, content);

    assertThatThrownBy(() -> ImageRecord.read(file))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining(problem)
        .hasMessageContaining("run k8sci:image again");
  }

  @Test
  void missingRecordSaysToRunTheImageGoalFirst() {
    Path file = dir.resolve("target/k8sci/image.json");

    assertThatThrownBy(() -> ImageRecord.read(file))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("run k8sci:image first");
  }
}
