package io.k8sci.mojo;

import io.k8sci.deploy.RolloutRequest;
import io.k8sci.deploy.RolloutService;
import io.k8sci.log.BuildLog;
import java.io.File;
import java.util.Map;
import java.util.Optional;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.project.MavenProject;

/**
 * Renders the manifests (image placeholders, digest pinning), validates all of them, applies them
 * with server-side apply, and waits for every Deployment, StatefulSet and DaemonSet like {@code
 * kubectl rollout status}. A failed rollout is explained (pods, reasons, events, logs) and rolled
 * back. Replaces {@code sed ...; kubectl apply -f ...; kubectl rollout status -f ...}.
 */
@Mojo(name = "rollout", defaultPhase = LifecyclePhase.DEPLOY, threadSafe = true)
public class RolloutMojo extends AbstractClusterMojo {

  /** Skips this goal only. */
  @Parameter(property = "k8sci.rollout.skip", defaultValue = "false")
  boolean rolloutSkip;

  /** A folder of {@code *.yaml}, {@code *.yml}, {@code *.json} (sorted by name), or one file. */
  @Parameter(property = "k8sci.manifests", defaultValue = "${project.basedir}/manifests")
  File manifests;

  /**
   * The image to deploy ({@code registry/repo:tag}). Default: what {@code k8sci:image} recorded in
   * {@code target/k8sci/image.json}.
   */
  @Parameter(property = "k8sci.image")
  String image;

  /** The record written by {@code k8sci:image}. */
  @Parameter(
      property = "k8sci.imageRecord",
      defaultValue = "${project.build.directory}/k8sci/image.json")
  File imageRecord;

  /** Pins the image we pushed to its digest ({@code repo:tag@sha256:...}) in every container. */
  @Parameter(property = "k8sci.pinDigest", defaultValue = "true")
  boolean pinDigest;

  /** Values for placeholders ${name} in the manifests. */
  @Parameter Map<String, String> variables;

  /** Allows cluster-scoped objects (Namespace, ClusterRole...), which need cluster-wide rights. */
  @Parameter(property = "k8sci.allowClusterScoped", defaultValue = "false")
  boolean allowClusterScoped;

  /**
   * Takes over fields another field manager owns (like {@code kubectl apply --force-conflicts}).
   */
  @Parameter(property = "k8sci.forceConflicts", defaultValue = "true")
  boolean forceConflicts;

  /** On failure, restores what was live before the apply (the build still fails). */
  @Parameter(property = "k8sci.rollbackOnFailure", defaultValue = "true")
  boolean rollbackOnFailure;

  /**
   * Writes the rendered manifests to {@code target/k8sci/manifests.yaml} and, when a cluster is
   * reachable, validates them with a server-side dry run. Changes nothing.
   */
  @Parameter(property = "k8sci.dryRun", defaultValue = "false")
  boolean dryRun;

  /** Where rollout.json and manifests.yaml go. */
  @Parameter(defaultValue = "${project.build.directory}/k8sci", readonly = true)
  File outputDirectory;

  @Parameter(defaultValue = "${project}", readonly = true, required = true)
  MavenProject project;

  @Override
  boolean skipGoal() {
    return rolloutSkip;
  }

  @Override
  void run(BuildLog log) {
    RolloutRequest request =
        new RolloutRequest(
            manifests.toPath(),
            Optional.ofNullable(imageRecord).map(File::toPath),
            Optional.ofNullable(image).filter(AbstractClusterMojo::notBlank).map(String::trim),
            pinDigest,
            variables == null ? Map.of() : variables,
            environment(),
            project.getVersion(),
            allowClusterScoped,
            connection(),
            Optional.ofNullable(namespace).filter(AbstractClusterMojo::notBlank),
            timeout(),
            forceConflicts,
            rollbackOnFailure,
            dryRun,
            outputDirectory.toPath(),
            log);
    new RolloutService().run(request);
  }
}
