package io.k8sci.manifest;

/**
 * One thing wrong with the manifests, found before anything is applied. Messages never carry values
 * taken from the manifests (a Secret's data, an environment variable), only names.
 */
public record ManifestProblem(SourceLocation location, String message) {

  @Override
  public String toString() {
    return location + ": " + message;
  }
}
