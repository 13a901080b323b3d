package io.k8sci.deploy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.k8sci.K8sciException;
import io.k8sci.cluster.ApiErrors;
import io.k8sci.cluster.ObjectRef;
import io.k8sci.log.BuildLog;
import java.util.List;

/**
 * {@code k8sci.dryRun} against a reachable cluster: every rendered object is sent with server-side
 * apply and {@code dryRun=All}, so the API server validates it (schema, admission) and changes
 * nothing.
 */
final class ServerSideDryRun {

  private ServerSideDryRun() {}

  static void check(
      KubernetesClient client, String namespace, List<HasMetadata> objects, BuildLog log) {
    for (HasMetadata object : objects) {
      ObjectRef ref = ObjectRef.of(object);
      try {
        client
            .resource(object)
            .inNamespace(namespace)
            .dryRun()
            .fieldManager("k8sci")
            .forceConflicts()
            .serverSideApply();
        log.info(ref.display() + " valid (server dry run)");
      } catch (K8sciException e) {
        throw e;
      } catch (RuntimeException e) {
        throw ApiErrors.explain(e, "patch", ref, namespace, null);
      }
    }
  }
}
