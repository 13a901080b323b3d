package io.k8sci.deploy;

import io.k8sci.cluster.ClusterConnection;
import io.k8sci.log.BuildLog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link RolloutService} needs for one {@code k8sci:rollout}: where the manifests are, what
 * the image goal recorded, how to reach the cluster, and the policy on failure. Plain values, so
 * the whole render → apply → watch → explain → roll back sequence runs without Maven.
 */
public record RolloutRequest(
    Path manifests,
    Optional<Path> imageRecord,
    Optional<String> image,
    boolean pinDigest,
    Map<String, String> variables,
    Map<String, String> environment,
    String projectVersion,
    boolean allowClusterScoped,
    ClusterConnection.Builder connection,
    Optional<String> namespace,
    Duration timeout,
    boolean forceConflicts,
    boolean rollbackOnFailure,
    boolean dryRun,
    Path outputDirectory,
    BuildLog log) {

  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

  public RolloutRequest {
    Objects.requireNonNull(manifests, "manifests");
    imageRecord = imageRecord == null ? Optional.empty() : imageRecord;
    image = image == null ? Optional.empty() : image;
    variables = variables == null ? Map.of() : Map.copyOf(variables);
    environment = environment == null ? Map.of() : environment;
    Objects.requireNonNull(connection, "connection");
    namespace = namespace == null ? Optional.empty() : namespace;
    timeout = timeout == null ? DEFAULT_TIMEOUT : timeout;
    Objects.requireNonNull(outputDirectory, "outputDirectory");
    log = log == null ? BuildLog.silent() : log;
  }

  /** Never shows variable or environment values: they may hold secrets. */
  @Override
  public String toString() {
    return "RolloutRequest[manifests="
        + manifests
        + ", image="
        + image.orElse("(from record)")
        + ", timeout="
        + timeout
        + ", dryRun="
        + dryRun
        + "]";
  }
}
