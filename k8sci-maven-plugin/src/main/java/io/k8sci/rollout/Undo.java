package io.k8sci.rollout;

import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.k8sci.K8sciException;
import io.k8sci.cluster.ApiErrors;
import io.k8sci.cluster.ObjectRef;
import io.k8sci.log.BuildLog;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * {@code kubectl rollout undo deployment/NAME [--to-revision=N]} for {@code k8sci:undo}: puts the
 * pod template of an earlier revision back into the Deployment; the deployment controller then
 * rolls it out (reusing the old ReplicaSet) and the caller watches it with {@link RolloutWatcher}.
 *
 * <p>Like kubectl: the earlier revision is the Deployment-owned ReplicaSet with the highest {@code
 * deployment.kubernetes.io/revision} below the current one (or the one asked for); its template
 * minus the {@code pod-template-hash} label replaces {@code spec.template} with a JSON patch that
 * first tests the resourceVersion it read (a concurrent change fails instead of being overwritten).
 * When the template already matches, nothing is changed ("skipped rollback").
 */
public final class Undo {

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private final KubernetesClient client;
  private final String namespace;
  private final BuildLog log;
  private String identity;

  public Undo(KubernetesClient client, String namespace, BuildLog log) {
    this.client = Objects.requireNonNull(client);
    this.namespace = Objects.requireNonNull(namespace);
    this.log = log == null ? BuildLog.silent() : log;
  }

  public Undo identity(String identity) {
    this.identity = identity;
    return this;
  }

  /**
   * What was done.
   *
   * @param before the Deployment before the undo
   * @param after the Deployment after the patch (watch this one); equals before when skipped
   * @param fromRevision the revision that was current
   * @param toRevision the revision whose template is now in the Deployment
   * @param skipped true when the template already matched
   */
  public record Result(
      Deployment before, Deployment after, long fromRevision, long toRevision, boolean skipped) {}

  /**
   * Rolls back.
   *
   * @param name the Deployment
   * @param toRevision the revision to go back to; null or 0 for the previous one
   */
  public Result undo(String name, Long toRevision) {
    ObjectRef ref = new ObjectRef("apps", "v1", "Deployment", "deployments", name);
    Deployment d;
    try {
      d = client.apps().deployments().inNamespace(namespace).withName(name).get();
    } catch (RuntimeException e) {
      throw ApiErrors.explain(e, "get", ref, namespace, identity);
    }
    if (d == null) {
      throw new K8sciException(
          "deployment \"" + name + "\" not found in namespace \"" + namespace + "\"");
    }
    Map<String, String> sel = RolloutWatcher.matchLabels(d);
    List<ReplicaSet> owned;
    try {
      var rs = client.apps().replicaSets().inNamespace(namespace);
      owned =
          (sel == null ? rs.list() : rs.withLabels(sel).list())
              .getItems().stream()
                  .filter(
                      r ->
                          r.getMetadata().getOwnerReferences() != null
                              && r.getMetadata().getOwnerReferences().stream()
                                  .anyMatch(o -> d.getMetadata().getUid().equals(o.getUid())))
                  .collect(Collectors.toList());
    } catch (RuntimeException e) {
      throw ApiErrors.explain(
          e,
          "list",
          new ObjectRef("apps", "v1", "ReplicaSet", "replicasets", null),
          namespace,
          identity);
    }
    long current =
        Optional.ofNullable(RolloutWatcher.revisionOf(d))
            .map(Long::parseLong)
            .orElse(owned.stream().mapToLong(Undo::revision).max().orElse(0));
    ReplicaSet target;
    if (toRevision != null && toRevision > 0) {
      target =
          owned.stream()
              .filter(r -> revision(r) == toRevision)
              .findFirst()
              .orElseThrow(
                  () ->
                      new K8sciException(
                          "deployment \""
                              + name
                              + "\" has no revision "
                              + toRevision
                              + "; known revisions: "
                              + owned.stream()
                                  .map(Undo::revision)
                                  .sorted()
                                  .map(String::valueOf)
                                  .collect(Collectors.joining(", "))));
    } else {
      target =
          owned.stream()
              .filter(r -> revision(r) < current)
              .max(Comparator.comparingLong(Undo::revision))
              .orElseThrow(
                  () ->
                      new K8sciException(
                          "deployment \""
                              + name
                              + "\" has no previous revision to roll back to (current revision "
                              + current
                              + "; old ReplicaSets may have been pruned by"
                              + " revisionHistoryLimit)"));
    }
    PodTemplateSpec template = SERIALIZATION.clone(target.getSpec().getTemplate());
    if (template.getMetadata() != null && template.getMetadata().getLabels() != null) {
      template.getMetadata().getLabels().remove("pod-template-hash");
    }
    if (SERIALIZATION.asJson(template).equals(SERIALIZATION.asJson(d.getSpec().getTemplate()))) {
      log.info(
          ObjectRef.of(d).display()
              + " skipped rollback (current template already matches revision "
              + revision(target)
              + ")");
      return new Result(d, d, current, revision(target), true);
    }
    String patch =
        "[{\"op\":\"test\",\"path\":\"/metadata/resourceVersion\",\"value\":"
            + SERIALIZATION.asJson(d.getMetadata().getResourceVersion())
            + "},{\"op\":\"replace\",\"path\":\"/spec/template\",\"value\":"
            + SERIALIZATION.asJson(template)
            + "}]";
    Deployment after;
    try {
      after =
          client
              .apps()
              .deployments()
              .inNamespace(namespace)
              .withName(name)
              .patch(PatchContext.of(PatchType.JSON), patch);
    } catch (RuntimeException e) {
      throw ApiErrors.explain(e, "patch", ref, namespace, identity);
    }
    log.info(
        ObjectRef.of(d).display()
            + " rolled back from revision "
            + current
            + " to revision "
            + revision(target));
    return new Result(d, after, current, revision(target), false);
  }

  private static long revision(ReplicaSet rs) {
    String r = RolloutWatcher.revisionOf(rs);
    try {
      return r == null ? 0 : Long.parseLong(r);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
