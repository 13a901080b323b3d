/**
 * Least-privilege access for {@code k8sci:rollout}: the RBAC objects a deploy identity needs and a
 * kubeconfig with a token of bounded lifetime, replacing a ServiceAccount bound to {@code admin}
 * and a never-expiring token copied out of a Secret.
 *
 * <ul>
 *   <li>{@link io.k8sci.rbac.RolloutPermissions}: the calls the rollout code makes, per step;
 *   <li>{@link io.k8sci.rbac.RbacPlan}: ServiceAccount, Role and RoleBinding for the kinds of the
 *       rendered manifests, rendered as YAML ({@code k8sci:rbac});
 *   <li>{@link io.k8sci.rbac.RbacApplier}: applies them with server-side apply ({@code k8sci:rbac
 *       -Dk8sci.apply}, administrator's credentials);
 *   <li>{@link io.k8sci.rbac.KubeconfigWriter}: TokenRequest + kubeconfig file, mode 0600 ({@code
 *       k8sci:kubeconfig});
 *   <li>{@link io.k8sci.rbac.PolicyRules}: RBAC rule building and matching, as the API server's
 *       authorizer does it.
 * </ul>
 */
package io.k8sci.rbac;
