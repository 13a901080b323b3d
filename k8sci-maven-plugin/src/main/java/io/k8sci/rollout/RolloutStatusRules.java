package io.k8sci.rollout;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * kubectl's rollout-status rules for Deployment, StatefulSet and DaemonSet, as a pure function of
 * the live object: what {@code kubectl rollout status} would print for it, and whether it is done
 * or can no longer succeed.
 *
 * <p>Why pure: the watcher evaluates every watch event on the client's IO thread, which must not
 * block, and the rules are tested table-driven without any server. Messages are kubectl's, without
 * the trailing newline, so job logs read the same as before the switch from kubectl.
 *
 * <p>Typed fabric8 objects and {@link GenericKubernetesResource}s of the same kinds (group {@code
 * apps}, or {@code extensions} for Deployment and DaemonSet, as kubectl accepts) are understood.
 * Thread-safe.
 */
public final class RolloutStatusRules {

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private RolloutStatusRules() {}

  /**
   * True for the objects {@code kubectl rollout status} can watch: Deployments, and StatefulSets
   * and DaemonSets whose update strategy is {@code RollingUpdate} (the default). False for {@code
   * OnDelete} ones and for every other kind, which a rollout applies but does not wait for.
   */
  public static boolean hasRolloutStatus(HasMetadata workload) {
    HasMetadata typed = typed(workload);
    if (typed instanceof Deployment) {
      return true;
    }
    if (typed instanceof StatefulSet statefulSet) {
      return StatefulSetRolloutStatus.isRollingUpdate(statefulSet);
    }
    if (typed instanceof DaemonSet daemonSet) {
      return DaemonSetRolloutStatus.isRollingUpdate(daemonSet);
    }
    return false;
  }

  /**
   * Evaluates the live object; never blocks, never calls the API server.
   *
   * <p>An {@code OnDelete} StatefulSet or DaemonSet gives a {@code done} status whose message is
   * kubectl's {@code rollout status is only available for RollingUpdate strategy type}.
   *
   * @throws IllegalArgumentException for a kind without rollout status (message names kind and
   *     name)
   */
  public static RolloutStatus evaluate(HasMetadata workload) {
    HasMetadata typed = typed(workload);
    if (typed instanceof Deployment deployment) {
      return DeploymentRolloutStatus.evaluate(deployment);
    }
    if (typed instanceof StatefulSet statefulSet) {
      return StatefulSetRolloutStatus.evaluate(statefulSet);
    }
    if (typed instanceof DaemonSet daemonSet) {
      return DaemonSetRolloutStatus.evaluate(daemonSet);
    }
    if (workload == null) {
      throw new IllegalArgumentException("no rollout status for a null object");
    }
    throw new IllegalArgumentException(
        "no rollout status for "
            + workload.getKind()
            + " \""
            + name(workload)
            + "\" (apiVersion "
            + workload.getApiVersion()
            + "): only Deployment, StatefulSet and DaemonSet have one");
  }

  private static HasMetadata typed(HasMetadata workload) {
    if (!(workload instanceof GenericKubernetesResource generic)) {
      return workload;
    }
    String group = group(generic.getApiVersion());
    String kind = generic.getKind();
    boolean apps = "apps".equals(group);
    boolean extensions = "extensions".equals(group);
    if ("Deployment".equals(kind) && (apps || extensions)) {
      return SERIALIZATION.convertValue(generic, Deployment.class);
    }
    if ("DaemonSet".equals(kind) && (apps || extensions)) {
      return SERIALIZATION.convertValue(generic, DaemonSet.class);
    }
    if ("StatefulSet".equals(kind) && apps) {
      return SERIALIZATION.convertValue(generic, StatefulSet.class);
    }
    return workload;
  }

  private static String group(String apiVersion) {
    if (apiVersion == null) {
      return "";
    }
    int slash = apiVersion.indexOf('/');
    return slash < 0 ? "" : apiVersion.substring(0, slash);
  }

  private static String name(HasMetadata workload) {
    return workload.getMetadata() == null ? null : workload.getMetadata().getName();
  }
}
