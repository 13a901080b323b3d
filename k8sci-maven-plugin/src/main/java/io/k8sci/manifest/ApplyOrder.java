package io.k8sci.manifest;

import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The order in which objects are applied: what others depend on first, so that a pod never starts
 * before the ConfigMap, Secret, ServiceAccount or claim it mounts, and a Service exists before its
 * clients roll out.
 *
 * <ol>
 *   <li>Namespace, CustomResourceDefinition (a custom resource needs its definition);
 *   <li>ResourceQuota, LimitRange (they only act on pods created after them);
 *   <li>ServiceAccount, Role, RoleBinding, ClusterRole, ClusterRoleBinding;
 *   <li>ConfigMap, Secret;
 *   <li>StorageClass, PersistentVolume, PersistentVolumeClaim;
 *   <li>Service;
 *   <li>workloads: Deployment, StatefulSet, DaemonSet, Job, CronJob, ReplicaSet,
 *       ReplicationController, Pod;
 *   <li>everything else (Ingress, HorizontalPodAutoscaler, PodDisruptionBudget, NetworkPolicy,
 *       custom resources...), which refer to the above.
 * </ol>
 *
 * Stable within a group: the order of the files (sorted by name) and of the documents in them.
 */
public final class ApplyOrder {

  private static final Map<String, Integer> RANKS =
      Map.ofEntries(
          Map.entry("Namespace", 0),
          Map.entry("CustomResourceDefinition", 0),
          Map.entry("ResourceQuota", 1),
          Map.entry("LimitRange", 1),
          Map.entry("ServiceAccount", 2),
          Map.entry("Role", 2),
          Map.entry("RoleBinding", 2),
          Map.entry("ClusterRole", 2),
          Map.entry("ClusterRoleBinding", 2),
          Map.entry("ConfigMap", 3),
          Map.entry("Secret", 3),
          Map.entry("StorageClass", 4),
          Map.entry("PersistentVolume", 4),
          Map.entry("PersistentVolumeClaim", 4),
          Map.entry("Service", 5),
          Map.entry("Deployment", 6),
          Map.entry("StatefulSet", 6),
          Map.entry("DaemonSet", 6),
          Map.entry("Job", 6),
          Map.entry("CronJob", 6),
          Map.entry("ReplicaSet", 6),
          Map.entry("ReplicationController", 6),
          Map.entry("Pod", 6));

  private static final int REST = 7;

  private ApplyOrder() {}

  /** The group a kind is applied in, 0 first. */
  public static int rank(String kind) {
    return RANKS.getOrDefault(kind, REST);
  }

  /** A new list in apply order; stable within a group. */
  public static List<RenderedManifest> sort(List<RenderedManifest> manifests) {
    return manifests.stream()
        .sorted(Comparator.comparingInt(manifest -> rank(manifest.object().getKind())))
        .toList();
  }
}
