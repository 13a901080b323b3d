package io.k8sci.rbac;

import io.k8sci.K8sciException;
import io.k8sci.cluster.ApiErrors;
import io.k8sci.cluster.AppliedObject;
import io.k8sci.cluster.ClusterConnection;
import io.k8sci.cluster.ServerSideApplier;
import io.k8sci.log.BuildLog;
import java.util.List;
import java.util.Objects;

/**
 * Applies an {@link RbacPlan} (ServiceAccount, Role, RoleBinding) with server-side apply, field
 * manager {@code k8sci}, as {@code kubectl apply --server-side} would.
 *
 * <p>Why a separate step run by an administrator: creating Roles and RoleBindings needs rights the
 * deploy identity must not have (Kubernetes also refuses a Role that grants more than its creator
 * holds). So this runs with the administrator's own kubeconfig, once per namespace and whenever the
 * manifests gain a kind; a 403 says exactly that instead of a bare "forbidden". Thread-safe.
 */
public final class RbacApplier {

  private final ClusterConnection admin;
  private final BuildLog log;

  /**
   * @param admin a connection with an administrator's credentials (not the deploy kubeconfig)
   */
  public RbacApplier(ClusterConnection admin, BuildLog log) {
    this.admin = Objects.requireNonNull(admin);
    this.log = log == null ? BuildLog.silent() : log;
  }

  /**
   * Applies the three objects into the plan's namespace; one kubectl-like line per object.
   *
   * @return what was applied (created / configured / unchanged)
   * @throws K8sciException with what to do when the credentials may not manage RBAC
   */
  public List<AppliedObject> apply(RbacPlan plan) {
    plan.warnings().forEach(log::warn);
    log.info(
        "Applying ServiceAccount, Role and RoleBinding \""
            + plan.roleName()
            + "\" in namespace "
            + plan.namespace()
            + " as "
            + (admin.identity() == null ? "the current kubeconfig user" : admin.identity()));
    try {
      return new ServerSideApplier(admin.client(), plan.namespace(), log)
          .identity(admin.identity())
          .apply(plan.objects())
          .applied();
    } catch (K8sciException e) {
      if (ApiErrors.code(e) == 403) {
        throw new K8sciException(
            "forbidden: "
                + (admin.identity() == null ? "the current credentials" : admin.identity())
                + " may not manage ServiceAccounts, Roles and RoleBindings in namespace \""
                + plan.namespace()
                + "\". Applying RBAC needs an administrator's own kubeconfig (e.g. bound to the"
                + " admin ClusterRole in that namespace, or cluster-admin), never the deploy"
                + " kubeconfig; Kubernetes also refuses a Role granting permissions its creator"
                + " does not hold. Either run k8sci:rbac -Dk8sci.apply with such a kubeconfig, or"
                + " hand the rendered rbac.yaml to a cluster administrator (kubectl apply"
                + " --server-side -f rbac.yaml). Server said: "
                + ApiErrors.serverMessage(e),
            e);
      }
      if (ApiErrors.code(e) == 404) {
        throw new K8sciException(
            e.getMessage()
                + " — k8sci:rbac does not create namespaces (cluster-scoped): create namespace \""
                + plan.namespace()
                + "\" first",
            e);
      }
      throw e;
    }
  }
}
