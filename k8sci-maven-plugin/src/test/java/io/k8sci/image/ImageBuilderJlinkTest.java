package io.k8sci.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.k8sci.testing.RecordingBuildLog;
import io.k8sci.testing.image.ImageTar;
import io.k8sci.testing.jar.TestJars;
import io.k8sci.testing.podman.Podman;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code from = jlink} through the image builder: the runtime's layers come first, the entrypoint
 * uses its java, the image runs as the non-root user, and it really runs under podman.
 */
class ImageBuilderJlinkTest {

  private static final String GREETER =
      """
      package lib;
      public class Greeter {
        public static String greet(String who) { return "hello " + who; }
      }
      """;

  private static final String MAIN =
      """
      public class Main {
        public static void main(String[] args) {
          System.out.println(lib.Greeter.greet(String.join(",", args)));
          System.out.println("user " + System.getProperty("user.name"));
          System.out.println("profile " + System.getenv("SPRING_PROFILES_ACTIVE"));
          System.out.println("cwd " + System.getProperty("user.dir"));
        }
      }
      """;

  @TempDir Path dir;

  @Test
  void jlinkImageHasTheRuntimeFirstAndRunsAsNonRoot() throws Exception {
    Path libClasses = TestJars.compile(Map.of("lib/Greeter", GREETER), dir.resolve("lib-classes"));
    Path lib = TestJars.jar(libClasses, dir.resolve("repo/greeter-1.0.jar"), Map.of());
    Path classes =
        TestJars.compile(
            Map.of("Main", MAIN), dir.resolve("classes"), "-cp", libClasses.toString());
    Path jar = TestJars.jar(classes, dir.resolve("target/tool.jar"), Map.of("Main-Class", "Main"));
    String name = "localhost/k8sci-test/jlink-builder:" + UUID.randomUUID();
    RecordingBuildLog log = new RecordingBuildLog();

    ImageRecord record =
        new ImageBuilder()
            .build(
                ImageBuildRequest.builder()
                    .jar(jar)
                    .runtimeDependencies(List.of(lib))
                    .from("jlink")
                    .tarImageName(name)
                    .args(List.of("k8sci", "image"))
                    .environment(Map.of("SPRING_PROFILES_ACTIVE", "prod"))
                    .outputDirectory(dir.resolve("target/k8sci"))
                    .cacheDirectory(dir.resolve("cache"))
                    .log(log)
                    .build())
            .record();

    List<String> layerNames = record.layers().stream().map(ImageRecord.Layer::name).toList();
    assertThat(layerNames).endsWith("dependencies", "application");
    assertThat(layerNames.subList(0, layerNames.size() - 2))
        .contains(JlinkRuntime.RUNTIME_LAYER)
        .doesNotContain("dependencies", "application");
    assertThat(record.base()).isEqualTo("jlink");
    ImageTar tar = new ImageTar(dir.resolve("target/k8sci/image.tar"));
    var config = tar.config().get("config");
    List<String> entrypoint = new ArrayList<>();
    config.get("Entrypoint").forEach(e -> entrypoint.add(e.asText()));
    assertThat(entrypoint)
        .containsExactly(
            JlinkRuntime.INSTALL_DIRECTORY + "/bin/java",
            "-cp",
            "/app/app.jar:/app/libs/*",
            "Main");
    assertThat(config.get("User").asText()).isEqualTo("1000:1000");
    assertThat(log.visible()).anyMatch(l -> l.contains("Java runtime: jlink'ed from"));

    Podman podman = new Podman();
    String image = podman.load(dir.resolve("target/k8sci/image.tar"));
    try {
      Podman.Result result = podman.run(Podman.run(image));
      assertThat(result.exitCode()).as(result.output()).isZero();
      assertThat(result.stdout())
          .contains(
              "hello k8sci,image",
              "user " + JlinkRuntime.NON_ROOT_USER,
              "profile prod",
              "cwd /app");
    } finally {
      podman.rmi(image);
    }
  }
}
