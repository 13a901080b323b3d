package io.k8sci.manifest;

import io.k8sci.K8sciException;
import io.k8sci.log.BuildLog;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns a manifest directory into the objects a rollout applies: load → fill placeholders on the
 * raw text → parse and validate everything → pin our containers to the pushed digest → apply order.
 *
 * <p>Every step checks all documents before failing, and nothing here talks to a cluster: when
 * {@link #render} returns, every object is known to be well-formed and in the target namespace;
 * when it throws, nothing was applied. Logs names and counts only, never values (a Secret's data,
 * an environment variable). Stateless and thread-safe.
 */
public final class ManifestRenderer {

  /**
   * Renders the manifests of a request.
   *
   * @throws ManifestException listing every unresolved placeholder, or every invalid document
   * @throws K8sciException for unreadable files or an invalid request (namespace, digest, variable
   *     names)
   */
  public RenderedManifests render(ManifestRenderRequest request) {
    BuildLog log = request.log();
    List<ManifestDocument> documents = ManifestSource.load(request.manifests());
    long files = documents.stream().map(ManifestDocument::file).distinct().count();
    log.info(
        "Rendering "
            + documents.size()
            + (documents.size() == 1 ? " document" : " documents")
            + " from "
            + files
            + (files == 1 ? " file" : " files")
            + " in "
            + request.manifests()
            + " for namespace "
            + request.namespace());

    Optional<ContainerImage> image = request.image().map(ContainerImage::parse);
    Optional<String> tag = request.imageTag().or(() -> image.map(ContainerImage::tag));
    Optional<String> digest = request.imageDigest().or(() -> image.map(ContainerImage::digest));

    List<ManifestDocument> rendered = renderer(request, image, tag, digest).renderAll(documents);
    List<RenderedManifest> manifests =
        new ManifestValidator(request.namespace(), request.allowClusterScoped()).validate(rendered);

    List<PinnedContainer> pinned = List.of();
    if (request.pinDigest() && image.isPresent() && digest.isPresent()) {
      pinned = new DigestPinner(request.image().get(), tag, digest.get()).pin(manifests, log);
    } else if (request.pinDigest() && image.isPresent()) {
      log.info("Not pinning images to a digest: no digest known for " + image.get().name());
    }

    List<RenderedManifest> ordered = ApplyOrder.sort(manifests);
    for (RenderedManifest manifest : ordered) {
      log.debug("  " + manifest);
    }
    return new RenderedManifests(request.namespace(), ordered, pinned);
  }

  private static PlaceholderRenderer renderer(
      ManifestRenderRequest request,
      Optional<ContainerImage> image,
      Optional<String> tag,
      Optional<String> digest) {
    Map<String, Optional<String>> builtIns = new LinkedHashMap<>();
    Optional<ContainerImage> withTag =
        image.map(i -> new ContainerImage(i.name(), tag.orElse(i.tag()), null));
    builtIns.put("k8sci.image", withTag.map(ContainerImage::reference));
    builtIns.put("k8sci.imageRepository", image.map(ContainerImage::name));
    builtIns.put("k8sci.imageTag", tag);
    builtIns.put("k8sci.imageDigest", digest);
    builtIns.put("k8sci.namespace", Optional.of(request.namespace()));
    builtIns.put("project.version", request.projectVersion());
    try {
      return new PlaceholderRenderer(builtIns, request.variables(), request.environment(), tag);
    } catch (IllegalArgumentException e) {
      throw new K8sciException(e.getMessage(), e);
    }
  }
}
