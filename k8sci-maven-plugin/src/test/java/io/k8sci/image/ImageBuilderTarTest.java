package io.k8sci.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.k8sci.testing.RecordingBuildLog;
import io.k8sci.testing.image.ImageTar;
import io.k8sci.testing.image.TestJars;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Builds to a tar (no registry) and checks the result with skopeo, umoci and a tar reader. */
class ImageBuilderTarTest {

  private static final Instant OUTPUT_TIMESTAMP = Instant.parse("2026-01-01T00:00:00Z");
  private static final String INDEX =
      """
      - "dependencies":
        - "BOOT-INF/lib/spring-core-6.1.0.jar"
      - "spring-boot-loader":
        - "org/"
      - "company-dependencies":
        - "BOOT-INF/lib/company-core-1.4.jar"
      - "snapshot-dependencies":
      - "application":
        - "BOOT-INF/classes/"
        - "BOOT-INF/classpath.idx"
        - "BOOT-INF/layers.idx"
        - "META-INF/"
      """;

  @TempDir Path dir;

  private Path bootJar(String classContent) {
    return TestJars.boot()
        .layersIndex(INDEX)
        .lib("spring-core-6.1.0.jar")
        .lib("company-core-1.4.jar")
        .classFile("com/example/demo/DemoApplication.class", classContent)
        .writeTo(dir.resolve("jar-" + classContent.hashCode() + "/demo-0.0.1-SNAPSHOT.jar"));
  }

  private ImageBuildRequest.Builder request(Path jar, Path output, RecordingBuildLog log) {
    return ImageBuildRequest.builder()
        .jar(jar)
        .from("scratch")
        .outputDirectory(output)
        .cacheDirectory(output.resolve("cache"))
        .filesModificationTime(OUTPUT_TIMESTAMP)
        .log(log);
  }

  @Test
  void tarHasTheBootLayersConfigurationAndFileTree() throws Exception {
    RecordingBuildLog log = new RecordingBuildLog();
    Path jar =
        TestJars.boot()
            .layersIndex(INDEX)
            .lib("spring-core-6.1.0.jar")
            .lib("company-core-1.4.jar")
            .lib("spring-boot-devtools-3.3.5.jar")
            .writeTo(dir.resolve("demo-0.0.1-SNAPSHOT.jar"));
    Map<String, String> environment = new LinkedHashMap<>();
    environment.put("SPRING_PROFILES_ACTIVE", "prod");
    environment.put("TZ", "UTC");
    Path output = dir.resolve("target/k8sci");

    ImageBuildResult result =
        new ImageBuilder()
            .build(
                request(jar, output, log)
                    .tarImageName("demo:0.0.1")
                    .tags(List.of("extra"))
                    .jvmFlags(List.of("-XX:MaxRAMPercentage=75", "-Dfile.encoding=UTF-8"))
                    .args(List.of("--server.shutdown=graceful"))
                    .environment(environment)
                    .ports(List.of("8080", "9000/udp"))
                    .labels(Map.of("org.opencontainers.image.source", "https://git.example/demo"))
                    .user("1000:1000")
                    .build());

    // the record
    Path tar = output.resolve("image.tar");
    ImageRecord record = result.record();
    assertThat(result.recordFile()).isEqualTo(output.resolve("image.json"));
    assertThat(ImageRecord.read(result.recordFile())).isEqualTo(record);
    assertThat(record.pushed()).isFalse();
    assertThat(record.tarPath()).isEqualTo(tar.toAbsolutePath().toString());
    assertThat(record.reference()).isEqualTo("demo:0.0.1");
    assertThat(record.tags()).containsExactly("0.0.1", "extra");
    assertThat(record.base()).isEqualTo("scratch");
    assertThat(record.layers())
        .extracting(ImageRecord.Layer::name)
        .containsExactly(
            "dependencies", "spring-boot-loader", "company-dependencies", "application");
    assertThat(record.layers()).allMatch(l -> l.uploaded() == null);
    // every layer came from JibLayerCache: Jib found it in its cache and built none itself
    assertThat(log.lines("DEBUG"))
        .contains(
            "Layers built into the cache: dependencies, spring-boot-loader, company-dependencies,"
                + " application")
        .noneMatch(l -> l.matches("Jib: Building .* layer built sha256:.*"));
    assertThat(output.resolve("image.env"))
        .content()
        .contains("K8SCI_IMAGE=demo:0.0.1", "K8SCI_IMAGE_DIGEST=" + record.digest());

    // the layers as stored in the tar match the record
    ImageTar image = new ImageTar(tar);
    List<ImageTar.Layer> layers = image.layers();
    assertThat(layers)
        .extracting(ImageTar.Layer::digest)
        .containsExactlyElementsOf(
            record.layers().stream().map(ImageRecord.Layer::digest).toList());
    assertThat(layers)
        .extracting(ImageTar.Layer::size)
        .containsExactlyElementsOf(record.layers().stream().map(ImageRecord.Layer::size).toList());
    assertThat(image.repoTags()).contains("demo:0.0.1");

    // exact entries: sorted, owner 0:0, 644/755, one time
    for (ImageTar.Layer layer : layers) {
      List<String> names = layer.entries().stream().map(ImageTar.Entry::name).toList();
      assertThat(names).isSorted();
      for (ImageTar.Entry entry : layer.entries()) {
        assertThat(entry.uid()).as(entry.name()).isZero();
        assertThat(entry.gid()).as(entry.name()).isZero();
        assertThat(entry.mode()).as(entry.name()).isEqualTo(entry.directory() ? 0755 : 0644);
        assertThat(entry.mtimeMillis()).as(entry.name()).isEqualTo(OUTPUT_TIMESTAMP.toEpochMilli());
      }
    }
    assertThat(layers.get(0).entries())
        .extracting(ImageTar.Entry::name)
        .contains("app/BOOT-INF/lib/spring-core-6.1.0.jar")
        .noneMatch(n -> n.contains("company") || n.contains("devtools"));
    assertThat(layers.get(2).entries())
        .extracting(ImageTar.Entry::name)
        .contains("app/BOOT-INF/lib/company-core-1.4.jar");

    // the configuration, as skopeo reads it
    JsonNode config = image.config();
    JsonNode c = config.get("config");
    assertThat(strings(c.get("Entrypoint")))
        .containsExactly(
            "java",
            "-XX:MaxRAMPercentage=75",
            "-Dfile.encoding=UTF-8",
            "-cp",
            "/app",
            "org.springframework.boot.loader.launch.JarLauncher");
    assertThat(strings(c.get("Cmd"))).containsExactly("--server.shutdown=graceful");
    assertThat(strings(c.get("Env"))).contains("SPRING_PROFILES_ACTIVE=prod", "TZ=UTC");
    assertThat(iterable(c.get("ExposedPorts").fieldNames()))
        .containsExactlyInAnyOrder("8080/tcp", "9000/udp");
    assertThat(c.get("Labels").get("org.opencontainers.image.source").asText())
        .isEqualTo("https://git.example/demo");
    assertThat(c.get("User").asText()).isEqualTo("1000:1000");
    assertThat(c.get("WorkingDir").asText()).isEqualTo("/app");
    assertThat(Instant.parse(config.get("created").asText())).isEqualTo(Instant.EPOCH);
    assertThat(config.get("rootfs").get("diff_ids")).hasSize(4);
    assertThat(image.inspect().get("Digest").asText()).startsWith("sha256:");

    // the file tree, unpacked by umoci
    Path rootfs = image.unpack(dir.resolve("unpacked"));
    Path app = rootfs.resolve("app");
    assertThat(app.resolve("BOOT-INF/classes/application.properties"))
        .hasContent("server.port=8080");
    assertThat(app.resolve("org/springframework/boot/loader/launch/JarLauncher.class")).exists();
    assertThat(app.resolve("META-INF/MANIFEST.MF"))
        .content()
        .contains("Start-Class: com.example.demo.DemoApplication");
    assertThat(app.resolve("BOOT-INF/lib/spring-boot-devtools-3.3.5.jar")).doesNotExist();
    assertThat(app.resolve("BOOT-INF/classpath.idx")).content().doesNotContain("devtools");
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(
                    app.resolve("BOOT-INF/classes/application.properties"))))
        .isEqualTo("rw-r--r--");
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(app.resolve("BOOT-INF/lib"))))
        .isEqualTo("rwxr-xr-x");
    assertThat(
            Files.getLastModifiedTime(app.resolve("BOOT-INF/lib/spring-core-6.1.0.jar"))
                .toInstant())
        .isEqualTo(OUTPUT_TIMESTAMP);

    // the hint's name is what podman load makes runnable
    io.k8sci.testing.podman.Podman podman = new io.k8sci.testing.podman.Podman();
    String loaded = podman.load(tar);
    try {
      assertThat(
              podman
                  .exec(
                      List.of("image", "exists", record.reference()),
                      java.time.Duration.ofSeconds(30))
                  .exitCode())
          .isZero();
    } finally {
      podman.rmi(loaded);
    }

    // what the user is told
    assertThat(log.visible())
        .anyMatch(l -> l.contains("layer dependencies:"))
        .anyMatch(l -> l.contains("layer application:"))
        .anyMatch(l -> l.contains("Dropped BOOT-INF/lib/spring-boot-devtools-3.3.5.jar"))
        .anyMatch(l -> l.contains("Wrote demo:0.0.1 to " + tar.toAbsolutePath()))
        .anyMatch(
            l ->
                l.contains(
                    "podman load -i "
                        + tar.toAbsolutePath()
                        + " && podman run --rm -p 8080:8080 demo:0.0.1"));
  }

  @Test
  void sameJarGivesTheSameDigestWithSeparateCachesAndAnotherTimestampChangesIt() {
    Path jar = bootJar("class v1");
    ImageBuilder builder = new ImageBuilder();

    ImageRecord first =
        builder.build(request(jar, dir.resolve("a"), new RecordingBuildLog()).build()).record();
    ImageRecord second =
        builder.build(request(jar, dir.resolve("b"), new RecordingBuildLog()).build()).record();
    ImageRecord otherTime =
        builder
            .build(
                request(jar, dir.resolve("c"), new RecordingBuildLog())
                    .filesModificationTime(Instant.parse("2026-02-01T00:00:00Z"))
                    .build())
            .record();

    assertThat(second.digest()).isEqualTo(first.digest());
    assertThat(second.imageId()).isEqualTo(first.imageId());
    assertThat(second.layers()).isEqualTo(first.layers());
    assertThat(otherTime.digest()).isNotEqualTo(first.digest());
    assertThat(otherTime.layers())
        .extracting(ImageRecord.Layer::digest)
        .doesNotContainAnyElementsOf(
            first.layers().stream().map(ImageRecord.Layer::digest).toList());
  }

  @Test
  void oneClassChangeChangesOnlyTheApplicationLayer() {
    ImageBuilder builder = new ImageBuilder();
    ImageRecord v1 =
        builder
            .build(request(bootJar("class v1"), dir.resolve("v1"), new RecordingBuildLog()).build())
            .record();
    ImageRecord v2 =
        builder
            .build(request(bootJar("class v2"), dir.resolve("v2"), new RecordingBuildLog()).build())
            .record();

    assertThat(v2.digest()).isNotEqualTo(v1.digest());
    for (int i = 0; i < v1.layers().size(); i++) {
      ImageRecord.Layer before = v1.layers().get(i);
      ImageRecord.Layer after = v2.layers().get(i);
      if (before.name().equals("application")) {
        assertThat(after.digest()).isNotEqualTo(before.digest());
      } else {
        assertThat(after).as(before.name()).isEqualTo(before);
      }
    }
  }

  @Test
  void plainJarImageRunsMainClassWithLibsOnTheClassPath() throws Exception {
    Path jar = TestJars.plain(dir.resolve("tool.jar"), "com.example.Tool");
    Path guava = TestJars.library(dir.resolve("repo/guava-33.0.jar"));
    Path output = dir.resolve("out");

    ImageRecord record =
        new ImageBuilder()
            .build(
                request(jar, output, new RecordingBuildLog())
                    .runtimeDependencies(List.of(guava))
                    .build())
            .record();

    assertThat(record.reference()).isEqualTo("tool:latest");
    assertThat(record.layers())
        .extracting(ImageRecord.Layer::name)
        .containsExactly("dependencies", "application");
    ImageTar image = new ImageTar(output.resolve("image.tar"));
    assertThat(strings(image.config().get("config").get("Entrypoint")))
        .containsExactly("java", "-cp", "/app/app.jar:/app/libs/*", "com.example.Tool");
    Path rootfs = image.unpack(dir.resolve("unpacked"));
    assertThat(rootfs.resolve("app/app.jar")).hasSameBinaryContentAs(jar);
    assertThat(rootfs.resolve("app/libs/guava-33.0.jar")).hasSameBinaryContentAs(guava);
  }

  private static List<String> strings(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(v -> values.add(v.asText()));
    return values;
  }

  private static <T> List<T> iterable(java.util.Iterator<T> iterator) {
    List<T> values = new ArrayList<>();
    iterator.forEachRemaining(values::add);
    return values;
  }
}
