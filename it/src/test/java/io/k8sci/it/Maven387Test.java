package io.k8sci.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plugin declares Maven 3.8.7 as its minimum (Debian 12's Maven, and many runner images): the
 * sample service's image is built with that Maven, not only with the wrapper's 3.9.
 */
class Maven387Test {

  private static final Path DEBIAN_MAVEN = Path.of("/usr/share/maven");

  @Test
  void imageGoalRunsOnMaven387(@TempDir Path work) throws Exception {
    assertThat(DEBIAN_MAVEN.resolve("bin/mvn")).as("Debian's Maven 3.8.7").isExecutable();

    MavenBuild.Result build =
        MavenBuild.ofSample("hello-service", work.resolve("hello-service"))
            .mavenHome(DEBIAN_MAVEN)
            .run("-V", "package", "-DskipTests", "-Dk8sci.cacheDir=" + ItCaches.k8sciCache())
            .assertSuccess();

    assertThat(build.output()).contains("Apache Maven 3.8.7");
    assertThat(build.output())
        .contains("Wrote hello-service:1.0.0 to ")
        .contains("Run it with: podman load -i ");
    assertThat(build.projectDir().resolve("target/k8sci/image.tar")).isRegularFile();
    assertThat(Files.readString(build.projectDir().resolve("target/k8sci/image.env")))
        .containsPattern("(?m)^K8SCI_IMAGE_DIGEST=sha256:[0-9a-f]{64}$");
  }
}
