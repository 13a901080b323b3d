package io.k8sci.image;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.k8sci.K8sciException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What {@code k8sci:image} built, written to {@code target/k8sci/image.json} (read back by {@code
 * k8sci:rollout}, so the rollout never recomputes the image) and {@code target/k8sci/image.env} (a
 * GitLab {@code dotenv} report: {@code K8SCI_IMAGE}, {@code K8SCI_IMAGE_DIGEST}, {@code
 * K8SCI_IMAGE_REPOSITORY}).
 *
 * @param reference {@code registry/repository:tag} (the tar's name for a tar build)
 * @param repository {@code registry/repository}, without tag or digest
 * @param tag the tag of {@code reference}
 * @param digest the manifest digest {@code sha256:...}: what a cluster pulls by digest (for a tar,
 *     the digest the manifest has when pushed as Jib built it)
 * @param imageId the digest of the container configuration
 * @param tags every tag written ({@code tag} first)
 * @param pushed true when pushed to the registry, false for a tar
 * @param tarPath the tar file, for a tar build (else {@code null})
 * @param layers the application's layers (and the jlink runtime's), in image order; the base
 *     image's layers are not listed
 * @param base the base image as configured ({@code scratch}, {@code jlink} or a reference)
 * @param baseDigest the digest of the base image used, when Jib reported one (else {@code null})
 * @param createdAt when the build ran (ISO-8601), not the image's creation time
 * @param durationMillis how long the build took
 */
@JsonPropertyOrder({
  "reference",
  "repository",
  "tag",
  "digest",
  "imageId",
  "tags",
  "pushed",
  "tarPath",
  "layers",
  "base",
  "baseDigest",
  "createdAt",
  "durationMillis"
})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ImageRecord(
    String reference,
    String repository,
    String tag,
    String digest,
    String imageId,
    List<String> tags,
    boolean pushed,
    String tarPath,
    List<Layer> layers,
    String base,
    String baseDigest,
    String createdAt,
    long durationMillis) {

  public static final String JSON_FILE = "image.json";
  public static final String ENV_FILE = "image.env";

  private static final Pattern DIGEST = Pattern.compile("^sha256:[0-9a-f]{64}$");
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * One layer of the image.
   *
   * @param name the layer's name (a Spring Boot layer, or the runtime's)
   * @param digest the compressed layer's digest, as in the manifest
   * @param size the compressed size in bytes, as in the manifest
   * @param uploaded for a push: whether this build uploaded it (false: the registry had it); null
   *     for a tar
   */
  @JsonPropertyOrder({"name", "digest", "size", "uploaded"})
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Layer(String name, String digest, long size, Boolean uploaded) {}

  public ImageRecord {
    tags = tags == null ? List.of() : List.copyOf(tags);
    layers = layers == null ? List.of() : List.copyOf(layers);
  }

  /** {@code registry/repository@sha256:...}: the reference a manifest should deploy. */
  public String pinnedReference() {
    return repository + "@" + digest;
  }

  /**
   * Writes {@code image.json} and {@code image.env} into {@code outputDirectory} (each replaced
   * atomically where the file system allows).
   */
  public void write(Path outputDirectory) {
    try {
      Files.createDirectories(outputDirectory);
      writeAtomically(
          outputDirectory.resolve(JSON_FILE),
          JSON.writeValueAsString(this) + System.lineSeparator());
      writeAtomically(outputDirectory.resolve(ENV_FILE), toEnv());
    } catch (IOException e) {
      throw new K8sciException(
          "Cannot write the image record into " + outputDirectory + ": " + e.getMessage(), e);
    }
  }

  /** Removes {@code image.json} and {@code image.env} from {@code outputDirectory}, if present. */
  public static void delete(Path outputDirectory) {
    try {
      Files.deleteIfExists(outputDirectory.resolve(JSON_FILE));
      Files.deleteIfExists(outputDirectory.resolve(ENV_FILE));
    } catch (IOException e) {
      throw new K8sciException(
          "Cannot remove the previous image record from " + outputDirectory + ": " + e.getMessage(),
          e);
    }
  }

  /** The dotenv lines of {@code image.env}. */
  public String toEnv() {
    return "K8SCI_IMAGE="
        + reference
        + "\nK8SCI_IMAGE_DIGEST="
        + digest
        + "\nK8SCI_IMAGE_REPOSITORY="
        + repository
        + "\n";
  }

  /**
   * Reads {@code image.json}.
   *
   * @throws K8sciException naming the file when it is missing, unreadable or incomplete
   */
  public static ImageRecord read(Path imageJson) {
    ImageRecord record;
    try {
      record =
          JSON.readValue(Files.readString(imageJson, StandardCharsets.UTF_8), ImageRecord.class);
    } catch (NoSuchFileException e) {
      throw new K8sciException(
          imageJson
              + " does not exist: run k8sci:image first (in this build, or in an earlier CI job"
              + " that passes target/k8sci/ on as an artifact).");
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new K8sciException(
          imageJson
              + " is not a valid image record ("
              + e.getOriginalMessage()
              + "): run k8sci:image again to rewrite it.",
          e);
    } catch (IOException e) {
      throw new K8sciException(
          "Cannot read "
              + imageJson
              + " ("
              + e.getMessage()
              + "): run k8sci:image again to rewrite it.",
          e);
    }
    List<String> missing = new ArrayList<>();
    if (record == null) {
      missing.add("everything");
    } else {
      if (isBlank(record.reference())) {
        missing.add("reference");
      }
      if (isBlank(record.repository())) {
        missing.add("repository");
      }
      if (record.digest() == null || !DIGEST.matcher(record.digest()).matches()) {
        missing.add("digest (sha256:<64 hex>)");
      }
    }
    if (!missing.isEmpty()) {
      throw new K8sciException(
          imageJson
              + " lacks "
              + String.join(", ", missing)
              + ": run k8sci:image again to rewrite it.");
    }
    return record;
  }

  private static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }

  private static void writeAtomically(Path file, String content) throws IOException {
    Path temporary = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
    try {
      Files.writeString(temporary, content, StandardCharsets.UTF_8);
      try {
        Files.move(
            temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(temporary);
    }
  }
}
