package io.k8sci.cluster;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.k8sci.K8sciException;
import io.k8sci.log.BuildLog;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Puts the cluster back the way a {@link LiveSnapshot} saw it, after a failed rollout: objects the
 * rollout created are deleted, objects it changed get their previous content back. Objects it left
 * unchanged are not touched. Steps run in reverse apply order and are logged one per line.
 *
 * <p>Why update (PUT) of the snapshot rather than server-side apply: a rollback must restore the
 * object exactly, including removing fields the failed apply added, and must not make {@code k8sci}
 * the owner of fields other managers set (an autoscaler's replicas) — an apply of the whole old
 * object would claim every field. The PUT carries the current resourceVersion, so a concurrent
 * writer is noticed (409) and the restore is retried on a fresh read. Server-managed metadata (uid,
 * resourceVersion, generation, creationTimestamp, managedFields) and status are stripped from the
 * snapshot; the deployment controller's revision annotation is kept as it is live, the controller
 * owns it.
 *
 * <p>The caller then waits for the restored workloads' rollout ({@link
 * Result#restoredWorkloads()}).
 */
public final class Rollback {

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  private static final Set<String> WORKLOAD_KINDS =
      Set.of("Deployment", "StatefulSet", "DaemonSet");
  static final String REVISION_ANNOTATION = "deployment.kubernetes.io/revision";

  private final KubernetesClient client;
  private final String namespace;
  private final BuildLog log;
  private String identity;

  public Rollback(KubernetesClient client, String namespace, BuildLog log) {
    this.client = Objects.requireNonNull(client);
    this.namespace = Objects.requireNonNull(namespace);
    this.log = log == null ? BuildLog.silent() : log;
  }

  public Rollback identity(String identity) {
    this.identity = identity;
    return this;
  }

  /**
   * What the rollback did.
   *
   * @param restored objects put back to their previous content (live after the restore)
   * @param deleted objects the rollout had created, now deleted
   * @param restoredWorkloads the restored Deployments/StatefulSets/DaemonSets, to watch
   */
  public record Result(
      List<HasMetadata> restored, List<ObjectRef> deleted, List<HasMetadata> restoredWorkloads) {}

  /**
   * Restores the snapshot's state for the objects that were applied.
   *
   * @param applied what the apply did (only CREATED and CONFIGURED objects are rolled back)
   */
  public Result restore(List<AppliedObject> applied) {
    List<AppliedObject> reversed = new ArrayList<>(applied);
    java.util.Collections.reverse(reversed);
    List<HasMetadata> restored = new ArrayList<>();
    List<ObjectRef> deleted = new ArrayList<>();
    List<HasMetadata> workloads = new ArrayList<>();
    Map<String, String> failures = new HashMap<>();
    for (AppliedObject a : reversed) {
      try {
        switch (a.result()) {
          case CREATED -> {
            delete(a);
            deleted.add(a.ref());
          }
          case CONFIGURED -> {
            HasMetadata live = restore(a);
            restored.add(live);
            if (WORKLOAD_KINDS.contains(live.getKind())) {
              workloads.add(live);
            }
          }
          case UNCHANGED -> {}
        }
      } catch (K8sciException e) {
        // keep going: restore as much as possible, then report every failure
        log.warn("rollback: " + a.ref().display() + " could not be rolled back: " + e.getMessage());
        failures.put(a.ref().display(), e.getMessage());
      }
    }
    if (!failures.isEmpty()) {
      throw new K8sciException(
          "rollback incomplete, check these objects by hand: "
              + String.join(", ", failures.keySet())
              + " — "
              + failures);
    }
    return new Result(List.copyOf(restored), List.copyOf(deleted), List.copyOf(workloads));
  }

  private void delete(AppliedObject a) {
    try {
      client.resource(a.rendered()).inNamespace(namespace).delete();
    } catch (RuntimeException e) {
      if (ApiErrors.code(e) == 404) {
        return;
      }
      throw ApiErrors.explain(e, "delete", a.ref(), namespace, identity);
    }
    log.info("rollback: " + a.ref().display() + " deleted (it did not exist before this rollout)");
  }

  private HasMetadata restore(AppliedObject a) {
    for (int attempt = 0; ; attempt++) {
      HasMetadata current;
      try {
        current = client.resource(a.rendered()).inNamespace(namespace).get();
      } catch (RuntimeException e) {
        throw ApiErrors.explain(e, "get", a.ref(), namespace, identity);
      }
      HasMetadata previous = strip(a.before());
      if (current == null) {
        // deleted meanwhile: recreate what was there
        try {
          HasMetadata created = client.resource(previous).inNamespace(namespace).create();
          log.info("rollback: " + a.ref().display() + " re-created with its previous content");
          return created;
        } catch (RuntimeException e) {
          throw ApiErrors.explain(e, "create", a.ref(), namespace, identity);
        }
      }
      previous.getMetadata().setResourceVersion(current.getMetadata().getResourceVersion());
      String liveRevision =
          current.getMetadata().getAnnotations() == null
              ? null
              : current.getMetadata().getAnnotations().get(REVISION_ANNOTATION);
      if (liveRevision != null) {
        if (previous.getMetadata().getAnnotations() == null) {
          previous.getMetadata().setAnnotations(new HashMap<>());
        }
        previous.getMetadata().getAnnotations().put(REVISION_ANNOTATION, liveRevision);
      }
      try {
        HasMetadata updated = client.resource(previous).inNamespace(namespace).update();
        log.info("rollback: " + a.ref().display() + " restored to its previous content");
        return updated;
      } catch (RuntimeException e) {
        if (ApiErrors.code(e) == 409 && attempt < 3) {
          continue;
        }
        throw ApiErrors.explain(e, "update", a.ref(), namespace, identity);
      }
    }
  }

  /** A copy without server-managed fields and status: what a user would have written. */
  static HasMetadata strip(HasMetadata live) {
    HasMetadata copy = SERIALIZATION.clone(live);
    var m = copy.getMetadata();
    m.setResourceVersion(null);
    m.setUid(null);
    m.setCreationTimestamp(null);
    m.setGeneration(null);
    m.setManagedFields(null);
    m.setSelfLink(null);
    m.setDeletionTimestamp(null);
    m.setDeletionGracePeriodSeconds(null);
    try {
      copy.getClass()
          .getMethod("setStatus", copy.getClass().getMethod("getStatus").getReturnType())
          .invoke(copy, (Object) null);
    } catch (ReflectiveOperationException e) {
      if (copy instanceof io.fabric8.kubernetes.api.model.GenericKubernetesResource g) {
        g.getAdditionalProperties().remove("status");
      }
    }
    return copy;
  }
}
