package io.k8sci.manifest;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.k8sci.K8sciException;
import io.k8sci.rollout.RolloutStatusRules;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * What a rollout applies: the validated objects in apply order, with the containers pinned to the
 * pushed digest.
 *
 * <p>The objects are fabric8 model objects rendered from the manifests; apply them as they are
 * (server-side apply), never a copy read back from the server. They are mutable: a caller that
 * changes them (e.g. adds an annotation) does so before sharing them with other threads.
 */
public final class RenderedManifests {

  private final String namespace;
  private final List<RenderedManifest> manifests;
  private final List<PinnedContainer> pinnedContainers;

  public RenderedManifests(
      String namespace, List<RenderedManifest> manifests, List<PinnedContainer> pinnedContainers) {
    this.namespace = namespace;
    this.manifests = List.copyOf(manifests);
    this.pinnedContainers = List.copyOf(pinnedContainers);
  }

  /** The namespace every namespaced object is in. */
  public String namespace() {
    return namespace;
  }

  /** Every object with its source, in apply order. */
  public List<RenderedManifest> manifests() {
    return manifests;
  }

  /** Every object, in apply order. */
  public List<HasMetadata> objects() {
    return manifests.stream().map(RenderedManifest::object).toList();
  }

  /**
   * The objects to wait for after applying, in apply order: those {@code kubectl rollout status}
   * can watch (Deployments, RollingUpdate StatefulSets and DaemonSets).
   */
  public List<RenderedManifest> withRolloutStatus() {
    return manifests.stream().filter(m -> RolloutStatusRules.hasRolloutStatus(m.object())).toList();
  }

  /** The containers pinned to the pushed digest (empty when pinning was off or had no digest). */
  public List<PinnedContainer> pinnedContainers() {
    return pinnedContainers;
  }

  /**
   * All objects as one multi-document YAML in apply order, after pinning and namespace defaulting.
   * Holds Secret data as written in the manifests: never log it.
   */
  public String toYaml() {
    StringBuilder yaml = new StringBuilder();
    yaml.append("# Rendered by k8sci for namespace ")
        .append(namespace)
        .append(", in apply order. May hold Secret data: do not publish.\n");
    for (RenderedManifest manifest : manifests) {
      String document = ManifestValidator.SERIALIZATION.asYaml(manifest.object());
      if (document.startsWith("---\n")) {
        document = document.substring(4);
      }
      yaml.append("---\n# from ").append(manifest.source()).append('\n');
      yaml.append(document);
      if (!document.endsWith("\n")) {
        yaml.append('\n');
      }
    }
    return yaml.toString();
  }

  /**
   * Writes {@link #toYaml()} to {@code file} (for a dry run: {@code target/k8sci/manifests.yaml}),
   * creating parent directories. When the manifests hold a Secret the file is made readable by its
   * owner only, where the file system supports POSIX permissions.
   *
   * @return the file written
   */
  public Path writeYaml(Path file) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      boolean secrets = manifests.stream().anyMatch(m -> m.object() instanceof Secret);
      Files.deleteIfExists(file);
      if (secrets && FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
        Files.createFile(
            file,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      }
      Files.writeString(file, toYaml(), StandardCharsets.UTF_8);
      return file;
    } catch (IOException e) {
      throw new K8sciException("Cannot write the rendered manifests to " + file + ": " + e, e);
    }
  }

  @Override
  public String toString() {
    return "RenderedManifests" + manifests;
  }
}
