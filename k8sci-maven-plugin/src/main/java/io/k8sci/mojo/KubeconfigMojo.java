package io.k8sci.mojo;

import io.k8sci.cluster.ClusterConnection;
import io.k8sci.log.BuildLog;
import io.k8sci.rbac.KubeconfigRequest;
import io.k8sci.rbac.KubeconfigWriter;
import io.k8sci.rbac.RbacPlan;
import java.io.File;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

/**
 * Run once by an administrator: obtains a bounded-lifetime token for the deploy ServiceAccount
 * through the TokenRequest API and writes a kubeconfig (server, CA, namespace, token; mode 0600)
 * for a GitLab CI file variable {@code KUBECONFIG}. Prints the file and the token's expiry, never
 * the token. Replaces copying a never-expiring token out of a Secret.
 */
@Mojo(name = "kubeconfig", requiresProject = false, threadSafe = true)
public class KubeconfigMojo extends AbstractClusterMojo {

  /** Skips this goal only. */
  @Parameter(property = "k8sci.kubeconfig.skip", defaultValue = "false")
  boolean kubeconfigSkip;

  /** The ServiceAccount the token is for (see {@code k8sci:rbac}). */
  @Parameter(property = "k8sci.serviceAccount", defaultValue = RbacPlan.DEFAULT_NAME)
  String serviceAccount;

  /** Lifetime of the token: {@code 30d}, {@code 12h}, {@code P30D}; the server may cap it. */
  @Parameter(property = "k8sci.tokenDuration", defaultValue = "30d")
  String tokenDuration;

  /** The kubeconfig to write (it holds the token: keep it out of version control). */
  @Parameter(
      property = "k8sci.kubeconfigFile",
      defaultValue = "${project.build.directory}/k8sci/kubeconfig")
  File kubeconfigFile;

  /** The API server URL written into the kubeconfig; default: the administrator's. */
  @Parameter(property = "k8sci.kubeconfigServer")
  String kubeconfigServer;

  @Override
  boolean skipGoal() {
    return kubeconfigSkip;
  }

  @Override
  void run(BuildLog log) {
    try (ClusterConnection admin = connection().log(log).build()) {
      KubeconfigRequest.Builder request =
          KubeconfigRequest.builder(admin.namespace(), kubeconfigFile.toPath())
              .serviceAccount(serviceAccount)
              .tokenDuration(tokenDuration);
      if (notBlank(kubeconfigServer)) {
        request.server(kubeconfigServer.trim());
      }
      new KubeconfigWriter(admin, log).write(request.build());
    }
  }
}
