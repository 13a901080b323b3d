package io.k8sci.deploy;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.k8sci.K8sciException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * {@code target/k8sci/rollout.json}: what one {@code k8sci:rollout} did — the objects applied and
 * their result, each workload's revision before and after, durations and the outcome — so a CI job
 * (or a person after a red pipeline) can read it without scraping the log. Holds no object content,
 * so no Secret value can end up in it.
 */
@JsonPropertyOrder({
  "outcome",
  "namespace",
  "image",
  "dryRun",
  "objects",
  "workloads",
  "rolledBack",
  "durationMillis",
  "failure"
})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RolloutReport(
    Outcome outcome,
    String namespace,
    String image,
    boolean dryRun,
    List<AppliedEntry> objects,
    List<WorkloadEntry> workloads,
    boolean rolledBack,
    long durationMillis,
    String failure) {

  public static final String FILE = "rollout.json";

  /** How the rollout ended. */
  public enum Outcome {
    /** Applied; the rollout is being watched (the job may have been killed while waiting). */
    IN_PROGRESS,
    SUCCEEDED,
    FAILED,
    DRY_RUN
  }

  /** One object: {@code deployment.apps/web} and {@code created|configured|unchanged}. */
  public record AppliedEntry(String object, String result) {}

  /** One watched workload. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record WorkloadEntry(
      String workload,
      String outcome,
      String message,
      String revisionBefore,
      String revisionAfter,
      long durationMillis) {}

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public RolloutReport {
    objects = objects == null ? List.of() : List.copyOf(objects);
    workloads = workloads == null ? List.of() : List.copyOf(workloads);
  }

  /** Writes {@code rollout.json} into {@code outputDirectory}, replacing it atomically. */
  public Path write(Path outputDirectory) {
    try {
      Files.createDirectories(outputDirectory);
      Path target = outputDirectory.resolve(FILE);
      Path temp = Files.createTempFile(outputDirectory, FILE, ".tmp");
      JSON.writeValue(temp.toFile(), this);
      Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return target;
    } catch (IOException e) {
      throw new K8sciException("Could not write " + outputDirectory.resolve(FILE) + ": " + e, e);
    }
  }

  public static RolloutReport read(Path file) {
    try {
      return JSON.readValue(file.toFile(), RolloutReport.class);
    } catch (IOException e) {
      throw new K8sciException("Could not read " + file + ": " + e.getMessage(), e);
    }
  }
}
