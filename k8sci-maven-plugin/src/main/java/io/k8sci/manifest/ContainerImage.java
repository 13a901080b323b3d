package io.k8sci.manifest;

import java.util.Locale;

/**
 * A container's {@code image} as written in a manifest, split the way the container runtime reads
 * it, with the repository normalized so that two spellings of the same repository compare equal:
 * {@code web}, {@code library/web}, {@code docker.io/library/web} and {@code
 * index.docker.io/library/web} are all {@code docker.io/library/web}; a registry is the first path
 * component when it contains a dot or a port, or is {@code localhost}.
 *
 * @param name the repository as written (registry and path, no tag or digest)
 * @param tag the tag, or null
 * @param digest the digest ({@code sha256:...}), or null
 */
public record ContainerImage(String name, String tag, String digest) {

  private static final String DOCKER_HUB = "docker.io";

  /** Splits an image reference; lenient, as it only serves to recognise our repository. */
  public static ContainerImage parse(String image) {
    String rest = image.strip();
    String digest = null;
    int at = rest.indexOf('@');
    if (at >= 0) {
      digest = rest.substring(at + 1);
      rest = rest.substring(0, at);
    }
    String tag = null;
    int colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      tag = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
    }
    return new ContainerImage(rest, tag, digest);
  }

  /** {@code registry/path} with Docker Hub's implicit parts made explicit. */
  public String normalizedRepository() {
    String registry = DOCKER_HUB;
    String path = name;
    int slash = name.indexOf('/');
    if (slash > 0) {
      String first = name.substring(0, slash);
      if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
        registry = first.toLowerCase(Locale.ROOT);
        path = name.substring(slash + 1);
      }
    }
    if (registry.equals("index.docker.io") || registry.equals("registry-1.docker.io")) {
      registry = DOCKER_HUB;
    }
    if (registry.equals(DOCKER_HUB) && !path.contains("/")) {
      path = "library/" + path;
    }
    return registry + "/" + path;
  }

  /** True when both name the same repository, however spelled. */
  public boolean sameRepository(ContainerImage other) {
    return normalizedRepository().equals(other.normalizedRepository());
  }

  /** The reference as a container runtime reads it. */
  public String reference() {
    return name + (tag == null ? "" : ":" + tag) + (digest == null ? "" : "@" + digest);
  }

  @Override
  public String toString() {
    return reference();
  }
}
