package io.k8sci.registry;

/**
 * CONTRACT STUB (to be implemented by the registry work): an image reference, validated against the
 * distribution reference grammar before any network call.
 */
public record ImageReference(String registry, String repository, String tag, String digest) {

  /**
   * Parses and validates; throws {@link IllegalArgumentException} naming the input and the rule.
   */
  public static ImageReference parse(String reference) {
    throw new UnsupportedOperationException("not implemented yet");
  }

  /** Validates a tag ([\w][\w.-]{0,127}); throws {@link IllegalArgumentException} naming it. */
  public static String validateTag(String tag) {
    throw new UnsupportedOperationException("not implemented yet");
  }

  public ImageReference withTag(String newTag) {
    return new ImageReference(registry, repository, newTag, null);
  }

  public ImageReference withDigest(String newDigest) {
    return new ImageReference(registry, repository, tag, newDigest);
  }

  /** {@code registry/repository} with neither tag nor digest. */
  public String repositoryReference() {
    return registry + "/" + repository;
  }
}
