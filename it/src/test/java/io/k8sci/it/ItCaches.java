package io.k8sci.it;

import java.nio.file.Path;

/**
 * Caches shared by the end-to-end builds of one test run: the jlink runtime of the sample services
 * is computed once (a minute on 2 cores) and reused, as a CI cache would reuse it.
 */
final class ItCaches {

  private ItCaches() {}

  static Path k8sciCache() {
    return MavenBuild.REPOSITORY_ROOT.resolve("it/target/k8sci-cache");
  }
}
