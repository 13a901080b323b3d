package io.k8sci.rbac;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.k8sci.cluster.ObjectRef;
import io.k8sci.rollout.RolloutStatusRules;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The API calls {@code k8sci:rollout} (and {@code k8sci:undo}) make, per step, as {@link
 * Permission}s: the single place where "what the rollout calls" is written down for RBAC.
 *
 * <p>Why a model instead of a hand-written Role: the Role must follow the code. Each entry below
 * names the class that makes the call; {@code RolePermitsExactlyTheRolloutTest} runs the rollout
 * steps against a recording API server and fails when a call is not covered here, or when something
 * here is never called. The calls, step by step:
 *
 * <ul>
 *   <li><b>snapshot</b> ({@code LiveSnapshot}): {@code get} of every applied object;
 *   <li><b>apply</b> ({@code ServerSideApplier}): server-side apply is a {@code patch}; when the
 *       object does not exist yet the API server creates it and also checks {@code create};
 *   <li><b>rollback</b> ({@code Rollback}): {@code get} + {@code update} to restore an object the
 *       rollout changed ({@code create} if it vanished meanwhile), {@code delete} for an object the
 *       rollout created;
 *   <li><b>rollout status</b> ({@code RolloutWatcher}): an informer ({@code list} + {@code watch})
 *       per Deployment/StatefulSet/DaemonSet; for the early failure verdict also on the pods of a
 *       Deployment or StatefulSet and on a Deployment's ReplicaSets;
 *   <li><b>failure diagnosis</b> ({@code FailureDiagnosis}): {@code get} of the workload, {@code
 *       list} of its ReplicaSets (Deployment), pods and events, {@code get} of {@code pods/log};
 *   <li><b>undo</b> ({@code Undo}, Deployments only): {@code get} of the Deployment, {@code list}
 *       of its ReplicaSets, a JSON {@code patch} of the Deployment.
 * </ul>
 *
 * Everything is namespaced: the rollout makes no cluster-scoped call (discovery URLs such as {@code
 * /version} and {@code /apis/GROUP/VERSION} are allowed to every authenticated user by Kubernetes'
 * default {@code system:discovery} role and need no rule). Stateless and thread-safe.
 */
public final class RolloutPermissions {

  static final String SNAPSHOT = "snapshot before apply";
  static final String APPLY = "server-side apply";
  static final String APPLY_CREATE = "server-side apply of an object that does not exist yet";
  static final String ROLLBACK_RESTORE = "rollback restores a changed object";
  static final String ROLLBACK_DELETE = "rollback deletes an object the rollout created";
  static final String STATUS = "rollout status (informer)";
  static final String FAIL_FAST = "early failure verdict (informer)";
  static final String DIAGNOSIS = "failure diagnosis";
  static final String LOGS = "failure diagnosis: container logs";
  static final String UNDO = "k8sci:undo";

  private RolloutPermissions() {}

  /**
   * What a rollout of these objects needs, one permission per (group, resource, verb), reasons of
   * several steps joined; sorted by group, resource and verb.
   *
   * @param applied the objects the rollout applies (as rendered from the manifests)
   */
  public static List<Permission> of(Collection<? extends HasMetadata> applied) {
    Needs needs = new Needs();
    Set<String> workloadKinds = new LinkedHashSet<>();
    for (HasMetadata o : applied) {
      ObjectRef ref = ObjectRef.of(o);
      String g = ref.group();
      String r = ref.resource();
      needs.add(g, r, "get", SNAPSHOT);
      needs.add(g, r, "patch", APPLY);
      needs.add(g, r, "create", APPLY_CREATE);
      needs.add(g, r, "get", ROLLBACK_RESTORE);
      needs.add(g, r, "update", ROLLBACK_RESTORE);
      needs.add(g, r, "delete", ROLLBACK_DELETE);
      if (RolloutStatusRules.hasRolloutStatus(o)) {
        workloadKinds.add(o.getKind());
      }
    }
    for (String kind : workloadKinds) {
      // the watcher and the diagnosis always use the apps/v1 API, whatever the manifest says
      String r =
          switch (kind) {
            case "Deployment" -> "deployments";
            case "StatefulSet" -> "statefulsets";
            default -> "daemonsets";
          };
      needs.add("apps", r, "list", STATUS);
      needs.add("apps", r, "watch", STATUS);
      if (!"DaemonSet".equals(kind)) {
        needs.add("", "pods", "list", FAIL_FAST);
        needs.add("", "pods", "watch", FAIL_FAST);
      }
      if ("Deployment".equals(kind)) {
        needs.add("apps", "replicasets", "list", FAIL_FAST);
        needs.add("apps", "replicasets", "watch", FAIL_FAST);
      }
      needs.add("apps", r, "get", DIAGNOSIS);
      if ("Deployment".equals(kind)) {
        needs.add("apps", "replicasets", "list", DIAGNOSIS);
      }
      needs.add("", "pods", "list", DIAGNOSIS);
      needs.add("", "events", "list", DIAGNOSIS);
      needs.add("", "pods/log", "get", LOGS);
      if ("Deployment".equals(kind)) {
        needs.add("apps", "deployments", "get", UNDO);
        needs.add("apps", "replicasets", "list", UNDO);
        needs.add("apps", "deployments", "patch", UNDO);
      }
    }
    return needs.permissions();
  }

  /** Collects reasons per (group, resource, verb). */
  private static final class Needs {
    private final Map<List<String>, Set<String>> reasons = new LinkedHashMap<>();

    void add(String group, String resource, String verb, String reason) {
      reasons
          .computeIfAbsent(List.of(group, resource, verb), k -> new LinkedHashSet<>())
          .add(reason);
    }

    List<Permission> permissions() {
      List<Permission> out = new ArrayList<>();
      reasons.forEach(
          (k, why) ->
              out.add(new Permission(k.get(0), k.get(1), k.get(2), String.join("; ", why))));
      out.sort(
          Comparator.comparing(Permission::apiGroup)
              .thenComparing(Permission::resource)
              .thenComparing(p -> Permission.verbRank(p.verb())));
      return List.copyOf(out);
    }
  }
}
