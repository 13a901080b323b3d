package io.k8sci.cluster;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.k8sci.K8sciException;
import io.k8sci.log.BuildLog;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@code kubectl apply --server-side} for the objects of one rollout, in the given order, into one
 * namespace.
 *
 * <p>Why server-side apply: it merges on the server with field ownership, so fields other actors
 * own (an autoscaler's {@code replicas}, a mutating webhook's sidecar) are left alone, unlike
 * replace/createOrReplace. We always send the object as rendered from the manifest, never one read
 * back from the server (its managedFields/resourceVersion would make the apply fail or pin stale
 * values).
 *
 * <p>Before applying, it takes a {@link LiveSnapshot} (one GET per object) which tells created /
 * configured / unchanged apart and is what {@link Rollback} restores. Only namespaced calls are
 * made: cluster-scoped objects are refused before anything is applied.
 *
 * <p>Retries: 409 Conflict (someone wrote the object between two steps of the server's apply) and
 * 5xx that survive the client's own transport retries are retried {@code retries} times with a
 * short backoff; 403 becomes a message naming the missing RBAC rule. Thread-safe.
 */
public final class ServerSideApplier {

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private final KubernetesClient client;
  private final String namespace;
  private final BuildLog log;
  private String fieldManager = "k8sci";
  private boolean forceConflicts = true;
  private int retries = 2;
  private Duration backoff = Duration.ofMillis(200);
  private String identity;

  public ServerSideApplier(KubernetesClient client, String namespace, BuildLog log) {
    this.client = Objects.requireNonNull(client);
    this.namespace = Objects.requireNonNull(namespace);
    this.log = log == null ? BuildLog.silent() : log;
  }

  /** Field manager name (default {@code k8sci}). */
  public ServerSideApplier fieldManager(String fieldManager) {
    this.fieldManager = fieldManager;
    return this;
  }

  /** Take over fields another manager owns instead of failing with a conflict (default true). */
  public ServerSideApplier forceConflicts(boolean force) {
    this.forceConflicts = force;
    return this;
  }

  /** Retries on 409 / 5xx per object (default 2). */
  public ServerSideApplier retries(int retries) {
    this.retries = retries;
    return this;
  }

  /** First backoff, doubled on each retry (default 200 ms). */
  public ServerSideApplier backoff(Duration backoff) {
    this.backoff = backoff;
    return this;
  }

  /** Who we act as (for 403 messages), e.g. {@link ClusterConnection#identity()}. */
  public ServerSideApplier identity(String identity) {
    this.identity = identity;
    return this;
  }

  /** What {@link #apply} did: the snapshot taken before and each object's result. */
  public record Report(LiveSnapshot snapshot, List<AppliedObject> applied) {}

  /**
   * Snapshots, then applies each object in order; one log line per object. Fails on the first
   * object that cannot be applied (the objects before it stay applied: the caller decides whether
   * to roll back with the returned snapshot, see {@link ApplyFailedException}).
   */
  public Report apply(List<HasMetadata> objects) {
    List<HasMetadata> prepared = new ArrayList<>();
    for (HasMetadata o : objects) {
      prepared.add(prepare(o));
    }
    LiveSnapshot snapshot = LiveSnapshot.take(client, namespace, prepared, identity);
    List<AppliedObject> applied = new ArrayList<>();
    for (HasMetadata o : prepared) {
      ObjectRef ref = ObjectRef.of(o);
      HasMetadata before = snapshot.before(o).orElse(null);
      HasMetadata live;
      try {
        live = applyWithRetries(o, ref);
      } catch (K8sciException e) {
        throw new ApplyFailedException(
            e.getMessage(), e, new Report(snapshot, List.copyOf(applied)));
      }
      ApplyResult result;
      if (before == null) {
        result = ApplyResult.CREATED;
      } else if (Objects.equals(
          before.getMetadata().getResourceVersion(), live.getMetadata().getResourceVersion())) {
        result = ApplyResult.UNCHANGED;
      } else {
        result = ApplyResult.CONFIGURED;
      }
      AppliedObject a = new AppliedObject(ref, o, live, before, result);
      log.info(a.line());
      applied.add(a);
    }
    return new Report(snapshot, List.copyOf(applied));
  }

  /** Thrown when an object cannot be applied; carries what was applied before it. */
  public static final class ApplyFailedException extends K8sciException {
    private final transient Report partial;

    public ApplyFailedException(String message, Throwable cause, Report partial) {
      super(message, cause);
      this.partial = partial;
    }

    /** The snapshot and the objects applied before the failure (for a rollback). */
    public Report partial() {
      return partial;
    }
  }

  private HasMetadata prepare(HasMetadata original) {
    ObjectRef ref = ObjectRef.of(original);
    if (original instanceof HasMetadata
        && !(original instanceof Namespaced)
        && !(original instanceof io.fabric8.kubernetes.api.model.GenericKubernetesResource)) {
      throw new K8sciException(
          ref.display()
              + " is cluster-scoped: k8sci:rollout only applies namespaced objects (namespace \""
              + namespace
              + "\"); create "
              + ref.kind()
              + " objects out of band with cluster-admin rights");
    }
    String ns = original.getMetadata().getNamespace();
    if (ns != null && !ns.isBlank() && !ns.equals(namespace)) {
      throw new K8sciException(
          ref.display()
              + " sets metadata.namespace \""
              + ns
              + "\" but this rollout deploys into namespace \""
              + namespace
              + "\": remove metadata.namespace from the manifest or deploy to \""
              + ns
              + "\"");
    }
    HasMetadata copy = SERIALIZATION.clone(original);
    copy.getMetadata().setNamespace(namespace);
    copy.getMetadata().setResourceVersion(null);
    copy.getMetadata().setManagedFields(null);
    copy.getMetadata().setUid(null);
    copy.getMetadata().setCreationTimestamp(null);
    copy.getMetadata().setGeneration(null);
    return copy;
  }

  private HasMetadata applyWithRetries(HasMetadata o, ObjectRef ref) {
    long wait = backoff.toMillis();
    for (int attempt = 0; ; attempt++) {
      try {
        var op = client.resource(o).inNamespace(namespace).fieldManager(fieldManager);
        return forceConflicts ? op.forceConflicts().serverSideApply() : op.serverSideApply();
      } catch (RuntimeException e) {
        int code = ApiErrors.code(e);
        boolean retriable = code == 409 || code >= 500;
        if (code == 409 && !forceConflicts && ApiErrors.serverMessage(e).contains("conflict")) {
          retriable = false; // field ownership conflict: retrying cannot help
        }
        if (!retriable || attempt >= retries) {
          throw ApiErrors.explain(e, "patch", ref, namespace, identity);
        }
        log.warn(
            ref.display()
                + ": "
                + (code == 409 ? "409 Conflict" : "HTTP " + code)
                + " from the API server, retrying in "
                + wait
                + " ms ("
                + ApiErrors.serverMessage(e)
                + ")");
        sleep(wait);
        wait *= 2;
      }
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new K8sciException("interrupted while retrying an apply", e);
    }
  }
}
