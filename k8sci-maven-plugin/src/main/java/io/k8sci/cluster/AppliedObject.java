package io.k8sci.cluster;

import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * One object after server-side apply.
 *
 * @param ref its kubectl/RBAC name
 * @param rendered what we sent (as rendered from the manifest)
 * @param live what the server returned (carries the new metadata.generation the rollout watcher
 *     waits for)
 * @param before what was live before, null when the object was created
 * @param result created / configured / unchanged
 */
public record AppliedObject(
    ObjectRef ref, HasMetadata rendered, HasMetadata live, HasMetadata before, ApplyResult result) {

  /** kubectl's line, e.g. {@code deployment.apps/web configured}. */
  public String line() {
    return ref.display() + " " + result.word();
  }
}
