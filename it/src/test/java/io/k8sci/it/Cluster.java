package io.k8sci.it;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.k8sci.testing.kube.ApiRequest;
import io.k8sci.testing.kube.TestApiServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** What the end-to-end tests read back from the test API server, as a user would with kubectl. */
final class Cluster {

  /** RBAC verbs that change something. */
  static final Set<String> WRITE_VERBS =
      Set.of("create", "update", "patch", "delete", "deletecollection");

  private Cluster() {}

  static Deployment deployment(TestApiServer api, String namespace, String name) {
    return api.client().apps().deployments().inNamespace(namespace).withName(name).get();
  }

  /** The first container's image of the Deployment's pod template. */
  static String image(Deployment deployment) {
    return deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getImage();
  }

  /** {@code deployment.kubernetes.io/revision}, as {@code kubectl rollout history} shows it. */
  static String revision(Deployment deployment) {
    Map<String, String> annotations = deployment.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get("deployment.kubernetes.io/revision");
  }

  /** Requests of the code under test that would change the cluster (dry runs included). */
  static List<ApiRequest> writes(List<ApiRequest> requests) {
    return requests.stream().filter(r -> WRITE_VERBS.contains(r.verb())).toList();
  }

  /** A kubeconfig for the test API server with one context, the current one. */
  static Path kubeconfig(TestApiServer api, Path file, String context, String namespace) {
    return api.writeKubeconfig(file, Map.of(context, namespace), context);
  }

  /**
   * A kubeconfig whose server is {@code http://127.0.0.1:PORT} with nothing listening there: an API
   * server that is down, or a job that cannot reach it.
   */
  static Path unreachableKubeconfig(TestApiServer api, Path file, String context, String ns) {
    String yaml =
        api.kubeconfigYaml(Map.of(context, ns), context)
            .replace(api.url(), "http://127.0.0.1:" + closedPort());
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, yaml);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A port on 127.0.0.1 that was free a moment ago and is closed now. */
  static int closedPort() {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static int freePort() {
    return closedPort();
  }
}
