package io.k8sci.manifest;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Locale;

/**
 * One object to apply, as rendered from a manifest, with the place it comes from so that apply and
 * rollout errors can point back at {@code file:line}.
 *
 * <p>The object is the one rendered from the manifest, never one read back from the server (whose
 * {@code managedFields} would make a server-side apply fail). It is mutable fabric8 model: do not
 * share it between threads while changing it.
 *
 * @param object the fabric8 object: a typed one for kinds fabric8 knows, a {@code
 *     GenericKubernetesResource} for others (custom resources)
 * @param source where its document starts
 */
public record RenderedManifest(HasMetadata object, SourceLocation source) {

  /** kubectl's short form, e.g. {@code deployment/web}. */
  public String displayName() {
    return object.getKind().toLowerCase(Locale.ROOT) + "/" + object.getMetadata().getName();
  }

  /** Never the object itself: a Secret's {@code toString()} shows its data. */
  @Override
  public String toString() {
    return displayName() + " (" + source + ")";
  }
}
