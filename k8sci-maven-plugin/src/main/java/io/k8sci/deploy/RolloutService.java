package io.k8sci.deploy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.k8sci.K8sciException;
import io.k8sci.cluster.ApiErrors;
import io.k8sci.cluster.AppliedObject;
import io.k8sci.cluster.ClusterConnection;
import io.k8sci.cluster.Rollback;
import io.k8sci.cluster.ServerSideApplier;
import io.k8sci.image.ImageRecord;
import io.k8sci.log.BuildLog;
import io.k8sci.manifest.ManifestRenderRequest;
import io.k8sci.manifest.ManifestRenderer;
import io.k8sci.manifest.RenderedManifests;
import io.k8sci.rollout.FailureDiagnosis;
import io.k8sci.rollout.RolloutStatusRules;
import io.k8sci.rollout.RolloutWatcher;
import io.k8sci.rollout.Undo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code k8sci:rollout} sequence, in the order that keeps a deploy all-or-nothing: render and
 * validate every manifest (nothing is sent while anything is wrong), server-side apply in a safe
 * order, watch every workload with kubectl's rules, and when a rollout fails explain it (pods,
 * reasons, events, logs) and restore what was live before. Always writes {@code rollout.json}.
 */
public final class RolloutService {

  /** Renders, applies and watches; throws {@link K8sciException} when the rollout fails. */
  public RolloutReport run(RolloutRequest request) {
    long start = System.nanoTime();
    BuildLog log = request.log();
    ImageInput image = imageInput(request);

    if (request.dryRun()) {
      return dryRun(request, image, start);
    }
    try (ClusterConnection connection = request.connection().log(log).build()) {
      try {
        return apply(request, image, connection, start);
      } catch (ApiErrors.UnreachableException e) {
        throw new K8sciException(
            e.getMessage()
                + ". Check that this job can reach the API server and that it is the right one: "
                + connection.describe(),
            e);
      }
    }
  }

  private RolloutReport apply(
      RolloutRequest request, ImageInput image, ClusterConnection connection, long start) {
    BuildLog log = request.log();
    String namespace = connection.namespace();
    RenderedManifests rendered = render(request, image, namespace);
    KubernetesClient client = connection.client();
    String identity = connection.identity();

    ServerSideApplier applier =
        new ServerSideApplier(client, namespace, log)
            .forceConflicts(request.forceConflicts())
            .identity(identity);
    ServerSideApplier.Report applied;
    try {
      applied = applier.apply(rendered.objects());
    } catch (ServerSideApplier.ApplyFailedException e) {
      // Some objects may be applied already: put them back before failing.
      List<AppliedObject> partial = e.partial().applied();
      boolean rolledBack = false;
      if (request.rollbackOnFailure() && changedAny(partial)) {
        log.warn("Apply failed part-way; restoring the objects already applied");
        rollBack(client, namespace, identity, partial, request, log);
        rolledBack = true;
      }
      writeReport(
          request,
          RolloutReport.Outcome.FAILED,
          namespace,
          image,
          partial,
          List.of(),
          rolledBack,
          start,
          e.getMessage());
      throw new K8sciException(
          e.getMessage() + (rolledBack ? "\nRolled back the objects applied before it." : ""), e);
    }

    // What is applied is on record before the (possibly long) watch: a job killed while
    // waiting still leaves rollout.json, and its JSON writer is warm when the verdict comes.
    writeReport(
        request,
        RolloutReport.Outcome.IN_PROGRESS,
        namespace,
        image,
        applied.applied(),
        List.of(),
        false,
        start,
        null);
    List<RolloutWatcher.Target> targets = new ArrayList<>();
    for (AppliedObject object : applied.applied()) {
      if (RolloutStatusRules.hasRolloutStatus(object.live())) {
        targets.add(RolloutWatcher.Target.of(object.live(), object.before()));
      }
    }
    List<RolloutWatcher.Result> results =
        targets.isEmpty()
            ? List.of()
            : watcher(client, namespace, identity, request).watch(targets);
    List<RolloutWatcher.Result> failed = results.stream().filter(r -> !r.succeeded()).toList();
    if (failed.isEmpty()) {
      RolloutReport report =
          writeReport(
              request,
              RolloutReport.Outcome.SUCCEEDED,
              namespace,
              image,
              applied.applied(),
              results,
              false,
              start,
              null);
      log.info(
          "Rollout complete: "
              + applied.applied().size()
              + " object(s) applied, "
              + results.size()
              + " workload(s) rolled out in "
              + seconds(System.nanoTime() - start));
      return report;
    }

    StringBuilder failure = new StringBuilder();
    FailureDiagnosis diagnosis = new FailureDiagnosis(client, namespace);
    for (RolloutWatcher.Result result : failed) {
      if (failure.length() > 0) {
        failure.append("\n\n");
      }
      failure.append(result.message());
      if (result.outcome() != RolloutWatcher.Outcome.ABANDONED) {
        HasMetadata workload =
            result.lastSeen() != null ? result.lastSeen() : find(applied, result);
        if (workload != null) {
          String explained = diagnosis.diagnose(workload);
          if (explained != null && !explained.isBlank()) {
            failure.append('\n').append(explained.strip());
          }
        }
      }
    }
    boolean rolledBack = false;
    if (request.rollbackOnFailure()) {
      log.warn("Rollout failed; rolling back to what was live before the apply");
      rollBack(client, namespace, identity, applied.applied(), request, log);
      rolledBack = true;
    }
    writeReport(
        request,
        RolloutReport.Outcome.FAILED,
        namespace,
        image,
        applied.applied(),
        results,
        rolledBack,
        start,
        failure.toString());
    throw new K8sciException(
        "Rollout failed in namespace \""
            + namespace
            + "\":\n"
            + failure
            + (rolledBack
                ? "\nRolled back: the previous version is live again."
                : "\nNot rolled back (rollbackOnFailure=false): the failed version is still"
                    + " applied."));
  }

  /** {@code kubectl rollout undo} for one Deployment, then waits for it like the rollout does. */
  public RolloutWatcher.Result undo(
      ClusterConnection.Builder connectionBuilder,
      String deployment,
      Long toRevision,
      Duration timeout,
      BuildLog log) {
    try (ClusterConnection connection = connectionBuilder.log(log).build()) {
      String namespace = connection.namespace();
      Undo.Result result =
          new Undo(connection.client(), namespace, log)
              .identity(connection.identity())
              .undo(deployment, toRevision);
      if (result.skipped()) {
        return null;
      }
      RolloutWatcher.Result watched =
          new RolloutWatcher(connection.client(), namespace, log)
              .timeout(timeout)
              .identity(connection.identity())
              .watch(List.of(RolloutWatcher.Target.of(result.after(), result.before())))
              .get(0);
      if (!watched.succeeded()) {
        String explained =
            new FailureDiagnosis(connection.client(), namespace)
                .diagnose(watched.lastSeen() != null ? watched.lastSeen() : result.after());
        throw new K8sciException(
            "Undo of deployment \""
                + deployment
                + "\" did not roll out: "
                + watched.message()
                + (explained == null || explained.isBlank() ? "" : "\n" + explained.strip()));
      }
      return watched;
    }
  }

  private RolloutReport dryRun(RolloutRequest request, ImageInput image, long start) {
    BuildLog log = request.log();
    ClusterConnection connection = null;
    try {
      connection = request.connection().log(log).build();
    } catch (K8sciException e) {
      log.info("Dry run without a cluster (" + e.getMessage() + ")");
    }
    try {
      String namespace =
          connection != null
              ? connection.namespace()
              : request
                  .namespace()
                  .or(() -> Optional.ofNullable(request.environment().get("KUBE_NAMESPACE")))
                  .filter(s -> !s.isBlank())
                  .orElse("default");
      RenderedManifests rendered = render(request, image, namespace);
      Path file = request.outputDirectory().resolve("manifests.yaml");
      rendered.writeYaml(file);
      log.info("Dry run: rendered " + rendered.objects().size() + " object(s) to " + file);
      List<AppliedObject> none = List.of();
      if (connection != null) {
        ServerSideDryRun.check(connection.client(), namespace, rendered.objects(), log);
      }
      RolloutReport report =
          writeReport(
              request,
              RolloutReport.Outcome.DRY_RUN,
              namespace,
              image,
              none,
              List.of(),
              false,
              start,
              null);
      return report;
    } finally {
      if (connection != null) {
        connection.close();
      }
    }
  }

  private static RenderedManifests render(
      RolloutRequest request, ImageInput image, String namespace) {
    ManifestRenderRequest.Builder render =
        ManifestRenderRequest.builder(request.manifests(), namespace)
            .pinDigest(request.pinDigest() && image.digest() != null)
            .allowClusterScoped(request.allowClusterScoped())
            .variables(request.variables())
            .environment(request.environment())
            .log(request.log());
    if (request.projectVersion() != null) {
      render.projectVersion(request.projectVersion());
    }
    if (image.reference() != null) {
      render.image(image.reference());
      if (image.digest() != null) {
        render.imageDigest(image.digest());
      }
    }
    return new ManifestRenderer().render(render.build());
  }

  private static RolloutWatcher watcher(
      KubernetesClient client, String namespace, String identity, RolloutRequest request) {
    return new RolloutWatcher(client, namespace, request.log())
        .timeout(request.timeout())
        .identity(identity);
  }

  private static void rollBack(
      KubernetesClient client,
      String namespace,
      String identity,
      List<AppliedObject> applied,
      RolloutRequest request,
      BuildLog log) {
    Rollback.Result restored =
        new Rollback(client, namespace, log).identity(identity).restore(applied);
    List<RolloutWatcher.Target> targets = new ArrayList<>();
    for (HasMetadata workload : restored.restoredWorkloads()) {
      if (RolloutStatusRules.hasRolloutStatus(workload)) {
        targets.add(new RolloutWatcher.Target(workload, null));
      }
    }
    if (targets.isEmpty()) {
      return;
    }
    List<RolloutWatcher.Result> results =
        watcher(client, namespace, identity, request).watch(targets);
    for (RolloutWatcher.Result result : results) {
      if (!result.succeeded()) {
        log.warn("Rollback of " + result.ref().display() + " did not finish: " + result.message());
      }
    }
  }

  private static boolean changedAny(List<AppliedObject> applied) {
    return applied.stream().anyMatch(a -> a.result() != io.k8sci.cluster.ApplyResult.UNCHANGED);
  }

  private static HasMetadata find(ServerSideApplier.Report applied, RolloutWatcher.Result result) {
    for (AppliedObject object : applied.applied()) {
      if (object.ref().equals(result.ref())) {
        return object.live();
      }
    }
    return null;
  }

  /** Builds the report and writes it to {@code rollout.json}. */
  private static RolloutReport writeReport(
      RolloutRequest request,
      RolloutReport.Outcome outcome,
      String namespace,
      ImageInput image,
      List<AppliedObject> applied,
      List<RolloutWatcher.Result> results,
      boolean rolledBack,
      long start,
      String failure) {
    List<RolloutReport.AppliedEntry> objects =
        applied.stream()
            .map(a -> new RolloutReport.AppliedEntry(a.ref().display(), a.result().word()))
            .toList();
    List<RolloutReport.WorkloadEntry> workloads =
        results.stream()
            .map(
                r ->
                    new RolloutReport.WorkloadEntry(
                        r.ref().display(),
                        r.outcome().name(),
                        r.message(),
                        r.revisionBefore(),
                        r.revisionAfter(),
                        r.duration() == null ? 0 : r.duration().toMillis()))
            .toList();
    RolloutReport report =
        new RolloutReport(
            outcome,
            namespace,
            image.pinned(),
            outcome == RolloutReport.Outcome.DRY_RUN,
            objects,
            workloads,
            rolledBack,
            Duration.ofNanos(System.nanoTime() - start).toMillis(),
            failure);
    report.write(request.outputDirectory());
    return report;
  }

  private static String seconds(long nanos) {
    return String.format(java.util.Locale.ROOT, "%.1f s", nanos / 1e9);
  }

  /** The image to deploy: a parameter, else what {@code k8sci:image} recorded. */
  private record ImageInput(String reference, String digest) {
    String pinned() {
      if (reference == null) {
        return null;
      }
      return digest == null ? reference : reference + "@" + digest;
    }
  }

  private static ImageInput imageInput(RolloutRequest request) {
    Optional<ImageRecord> record =
        request.imageRecord().filter(Files::isRegularFile).map(ImageRecord::read);
    if (request.image().isPresent()) {
      String reference = request.image().get();
      // The record's digest belongs to the recorded reference only.
      String digest =
          record.filter(r -> reference.equals(r.reference())).map(ImageRecord::digest).orElse(null);
      return new ImageInput(reference, digest);
    }
    if (record.isPresent()) {
      ImageRecord r = record.get();
      if (!r.pushed()) {
        request
            .log()
            .warn(
                "target/k8sci/image.json describes an image written to a tar file, not pushed:"
                    + " the cluster cannot pull it. Set k8sci.to (or $CI_REGISTRY_IMAGE) for"
                    + " k8sci:image.");
      }
      request.log().info("Image from " + request.imageRecord().get() + ": " + r.reference());
      return new ImageInput(r.reference(), r.digest());
    }
    return new ImageInput(null, null);
  }
}
