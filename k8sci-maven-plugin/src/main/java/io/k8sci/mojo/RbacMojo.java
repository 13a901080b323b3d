package io.k8sci.mojo;

import io.k8sci.K8sciException;
import io.k8sci.cluster.ClusterConnection;
import io.k8sci.log.BuildLog;
import io.k8sci.rbac.ManifestKinds;
import io.k8sci.rbac.RbacApplier;
import io.k8sci.rbac.RbacPlan;
import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Renders (default) or applies ({@code -Dk8sci.apply}) the least-privilege identity for {@code
 * k8sci:rollout}: a ServiceAccount, a namespaced Role with exactly the verbs and resources the
 * rollout uses for the kinds in the manifests, and a RoleBinding. Replaces a deploy user bound to
 * {@code admin}.
 */
@Mojo(name = "rbac", requiresProject = false, threadSafe = true)
public class RbacMojo extends AbstractClusterMojo {

  /** Skips this goal only. */
  @Parameter(property = "k8sci.rbac.skip", defaultValue = "false")
  boolean rbacSkip;

  /** The manifests the rollout applies; the Role covers their kinds. */
  @Parameter(property = "k8sci.manifests", defaultValue = "${basedir}/manifests")
  File manifests;

  /** The ServiceAccount (and, by default, Role and RoleBinding) name. */
  @Parameter(property = "k8sci.serviceAccount", defaultValue = RbacPlan.DEFAULT_NAME)
  String serviceAccount;

  /** The Role and RoleBinding name; default: the ServiceAccount's. */
  @Parameter(property = "k8sci.roleName")
  String roleName;

  /** Kinds to grant although the manifests do not hold them yet: {@code apps/v1/StatefulSet}. */
  @Parameter(property = "k8sci.additionalKinds")
  List<String> additionalKinds;

  /** Applies the objects (needs an administrator's kubeconfig) instead of only writing them. */
  @Parameter(property = "k8sci.apply", defaultValue = "false")
  boolean apply;

  /** Where the rendered objects are written. */
  @Parameter(
      property = "k8sci.rbacFile",
      defaultValue = "${project.build.directory}/k8sci/rbac.yaml")
  File rbacFile;

  @Override
  boolean skipGoal() {
    return rbacSkip;
  }

  @Override
  void run(BuildLog log) {
    ClusterConnection connection = apply ? connection().log(log).build() : null;
    try {
      String ns = connection != null ? connection.namespace() : offlineNamespace();
      RbacPlan.Builder plan =
          RbacPlan.builder(ns).serviceAccount(serviceAccount).roleName(roleName);
      for (ManifestKinds.Kind kind : ManifestKinds.scan(manifests.toPath())) {
        plan.kind(kind.apiVersion(), kind.kind());
      }
      if (additionalKinds != null) {
        for (String entry : additionalKinds) {
          int slash = entry.trim().lastIndexOf('/');
          if (slash <= 0) {
            throw new K8sciException(
                "k8sci.additionalKinds: '"
                    + entry
                    + "' is not apiVersion/Kind, e.g. apps/v1/StatefulSet");
          }
          plan.kind(entry.trim().substring(0, slash), entry.trim().substring(slash + 1));
        }
      }
      RbacPlan built = plan.build();
      built.warnings().forEach(log::warn);
      Path file = built.writeYaml(rbacFile.toPath());
      log.info(
          "Role \""
              + built.roleName()
              + "\" in namespace \""
              + ns
              + "\": "
              + built.rules().size()
              + " rule(s) for "
              + built.kinds().size()
              + " kind(s); written to "
              + file);
      if (connection != null) {
        new RbacApplier(connection, log).apply(built);
        log.info(
            "Applied. Next: mvn k8sci:kubeconfig -Dk8sci.namespace="
                + ns
                + " -Dk8sci.serviceAccount="
                + built.serviceAccountName());
      } else {
        log.info(
            "Not applied: run with -Dk8sci.apply (as an administrator) or hand "
                + file
                + " to one");
      }
    } finally {
      if (connection != null) {
        connection.close();
      }
    }
  }

  private String offlineNamespace() {
    if (notBlank(namespace)) {
      return namespace.trim();
    }
    Map<String, String> env = environment();
    String fromEnv = env.get("KUBE_NAMESPACE");
    if (notBlank(fromEnv)) {
      return fromEnv.trim();
    }
    try (ClusterConnection local = connection().build()) {
      return local.namespace();
    } catch (K8sciException e) {
      throw new K8sciException(
          "k8sci:rbac needs the namespace: -Dk8sci.namespace=NAME (no kubeconfig gives one: "
              + e.getMessage()
              + ")");
    }
  }
}
