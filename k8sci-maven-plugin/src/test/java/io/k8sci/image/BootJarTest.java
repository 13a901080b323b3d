package io.k8sci.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.k8sci.K8sciException;
import io.k8sci.testing.RecordingBuildLog;
import io.k8sci.testing.image.TestJars;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class BootJarTest {

  @TempDir Path dir;
  private final RecordingBuildLog log = new RecordingBuildLog();

  private static final String CUSTOM_INDEX =
      """
      - "dependencies":
        - "BOOT-INF/lib/spring-core-6.1.0.jar"
        - "BOOT-INF/lib/jackson-databind-2.17.0.jar"
      - "spring-boot-loader":
        - "org/"
      - "company-dependencies":
        - "BOOT-INF/lib/company-core-1.4.jar"
      - "snapshot-dependencies":
        - "BOOT-INF/lib/shared-model-2.0-SNAPSHOT.jar"
      - "application":
        - "BOOT-INF/classes/"
        - "BOOT-INF/classpath.idx"
        - "BOOT-INF/layers.idx"
        - "META-INF/"
      """;

  private static Map<String, List<String>> layers(BootJar jar) {
    Map<String, List<String>> layers = new LinkedHashMap<>();
    jar.layers().forEach(l -> layers.put(l.name(), l.entries()));
    return layers;
  }

  @Test
  void readsLayersIndexWithCustomLayerInIndexOrder() {
    Path path =
        TestJars.boot()
            .layersIndex(CUSTOM_INDEX)
            .lib("spring-core-6.1.0.jar")
            .lib("company-core-1.4.jar")
            .lib("shared-model-2.0-SNAPSHOT.jar")
            .lib("jackson-databind-2.17.0.jar")
            .writeTo(dir.resolve("demo.jar"));

    BootJar jar = BootJar.read(path, List.of(), log);

    assertThat(jar.kind()).isEqualTo(BootJar.Kind.SPRING_BOOT);
    assertThat(jar.layersIndexed()).isTrue();
    assertThat(jar.mainClass()).isEqualTo(BootJar.LAUNCHER_3_2);
    assertThat(jar.startClass()).contains("com.example.demo.DemoApplication");
    assertThat(jar.springBootVersion()).contains("3.3.5");
    Map<String, List<String>> layers = layers(jar);
    assertThat(layers.keySet())
        .containsExactly(
            "dependencies",
            "spring-boot-loader",
            "company-dependencies",
            "snapshot-dependencies",
            "application");
    assertThat(layers.get("dependencies"))
        .containsExactlyInAnyOrder(
            "BOOT-INF/lib/spring-core-6.1.0.jar", "BOOT-INF/lib/jackson-databind-2.17.0.jar");
    assertThat(layers.get("company-dependencies"))
        .containsExactly("BOOT-INF/lib/company-core-1.4.jar");
    assertThat(layers.get("snapshot-dependencies"))
        .containsExactly("BOOT-INF/lib/shared-model-2.0-SNAPSHOT.jar");
    assertThat(layers.get("spring-boot-loader"))
        .allMatch(e -> e.startsWith("org/springframework/boot/loader/"))
        .contains("org/springframework/boot/loader/launch/JarLauncher.class");
    assertThat(layers.get("application"))
        .contains(
            "BOOT-INF/classes/com/example/demo/DemoApplication.class",
            "BOOT-INF/classes/application.properties",
            "BOOT-INF/classpath.idx",
            "BOOT-INF/layers.idx",
            "META-INF/MANIFEST.MF")
        .noneMatch(e -> e.endsWith("/"));
    assertThat(jar.classpathIndex())
        .containsExactly(
            "BOOT-INF/lib/spring-core-6.1.0.jar",
            "BOOT-INF/lib/company-core-1.4.jar",
            "BOOT-INF/lib/shared-model-2.0-SNAPSHOT.jar",
            "BOOT-INF/lib/jackson-databind-2.17.0.jar");
  }

  @Test
  void entryGoesToTheFirstLayerThatMatchesItLikeSpringBootLayertools() {
    String index =
        """
        - "dependencies":
          - "BOOT-INF/lib/"
        - "company-dependencies":
          - "BOOT-INF/lib/company-core-1.4.jar"
        - "spring-boot-loader":
          - "org/"
        - "application":
          - "BOOT-INF/"
          - "META-INF/"
        """;
    Path path =
        TestJars.boot()
            .layersIndex(index)
            .lib("company-core-1.4.jar")
            .writeTo(dir.resolve("a.jar"));

    Map<String, List<String>> layers = layers(BootJar.read(path, List.of(), log));

    assertThat(layers.get("dependencies")).containsExactly("BOOT-INF/lib/company-core-1.4.jar");
    assertThat(layers.get("company-dependencies")).isEmpty();
    assertThat(layers.get("application")).contains("BOOT-INF/classpath.idx");
  }

  static Stream<Arguments> launchers() {
    return Stream.of(
        Arguments.of(TestJars.LAUNCHER_3_2, BootJar.LAUNCHER_3_2),
        Arguments.of(TestJars.LAUNCHER_LEGACY, BootJar.LAUNCHER_LEGACY));
  }

  @ParameterizedTest
  @MethodSource("launchers")
  void withoutLayersIndexTheFourLayersAreAssignedByRule(String launcher, String expected) {
    Path path =
        TestJars.boot()
            .launcher(launcher)
            .layersIndex(null)
            .lib("spring-core-6.1.0.jar")
            .lib("shared-model-2.0-SNAPSHOT.jar")
            .writeTo(dir.resolve("old.jar"));

    BootJar jar = BootJar.read(path, List.of(), log);

    assertThat(jar.layersIndexed()).isFalse();
    assertThat(jar.mainClass()).isEqualTo(expected);
    Map<String, List<String>> layers = layers(jar);
    assertThat(layers.keySet())
        .containsExactly(
            "dependencies", "spring-boot-loader", "snapshot-dependencies", "application");
    assertThat(layers.get("dependencies")).containsExactly("BOOT-INF/lib/spring-core-6.1.0.jar");
    assertThat(layers.get("snapshot-dependencies"))
        .containsExactly("BOOT-INF/lib/shared-model-2.0-SNAPSHOT.jar");
    assertThat(layers.get("spring-boot-loader"))
        .contains(expected.replace('.', '/') + ".class")
        .allMatch(e -> e.startsWith("org/springframework/boot/loader/"));
    assertThat(layers.get("application"))
        .contains("META-INF/MANIFEST.MF", "BOOT-INF/classes/com/example/demo/DemoApplication.class")
        .noneMatch(e -> e.startsWith("BOOT-INF/lib/") || e.startsWith("org/springframework/"));
  }

  @Test
  void devtoolsIsDroppedFromLayersAndClasspathIndexAndLogged() {
    Path path =
        TestJars.boot()
            .lib("spring-core-6.1.0.jar")
            .lib("spring-boot-devtools-3.3.5.jar")
            .writeTo(dir.resolve("dev.jar"));

    BootJar jar = BootJar.read(path, List.of(), log);

    assertThat(jar.droppedEntries()).containsExactly("BOOT-INF/lib/spring-boot-devtools-3.3.5.jar");
    assertThat(jar.layers()).flatMap(BootJar.Layer::entries).noneMatch(e -> e.contains("devtools"));
    assertThat(jar.classpathIndex()).containsExactly("BOOT-INF/lib/spring-core-6.1.0.jar");
    assertThat(log.visible())
        .anyMatch(l -> l.contains("Dropped BOOT-INF/lib/spring-boot-devtools-3.3.5.jar"));
  }

  @Test
  void plainJarTakesItsDependenciesFromTheCallerAndDropsDevtools() {
    Path path = TestJars.plain(dir.resolve("tool.jar"), "com.example.Tool");
    Path guava = TestJars.library(dir.resolve("repo/guava-33.0.jar"));
    Path snapshot = TestJars.library(dir.resolve("repo/model-1.0-SNAPSHOT.jar"));
    Path devtools = TestJars.library(dir.resolve("repo/spring-boot-devtools-3.3.5.jar"));

    BootJar jar = BootJar.read(path, List.of(guava, snapshot, devtools), log);

    assertThat(jar.kind()).isEqualTo(BootJar.Kind.PLAIN);
    assertThat(jar.mainClass()).isEqualTo("com.example.Tool");
    assertThat(jar.startClass()).isEmpty();
    assertThat(jar.dependencies()).containsExactly(guava, snapshot);
    Map<String, List<String>> layers = layers(jar);
    assertThat(layers)
        .containsExactly(
            Map.entry("dependencies", List.of("guava-33.0.jar")),
            Map.entry("snapshot-dependencies", List.of("model-1.0-SNAPSHOT.jar")),
            Map.entry("application", List.of("tool.jar")));
    assertThat(log.visible()).anyMatch(l -> l.contains("Dropped") && l.contains("devtools"));
  }

  @Test
  void plainJarWithTwoDependenciesOfTheSameFileNameIsRefused() {
    Path path = TestJars.plain(dir.resolve("tool.jar"), "com.example.Tool");
    Path a = TestJars.library(dir.resolve("a/util-1.0.jar"));
    Path b = TestJars.library(dir.resolve("b/util-1.0.jar"));

    assertThatThrownBy(() -> BootJar.read(path, List.of(a, b), log))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining(a.toString())
        .hasMessageContaining(b.toString());
  }

  @Test
  void notRepackagedJarFailsSayingWhatToDo() {
    Path path = TestJars.thin(dir.resolve("demo-0.0.1.jar"));

    assertThatThrownBy(() -> BootJar.read(path, List.of(), log))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining(path.toString())
        .hasMessageContaining("no Main-Class")
        .hasMessageContaining("run `mvn package` so spring-boot:repackage runs before k8sci:image")
        .hasMessageContaining("bind k8sci:image after it");
  }

  @Test
  void missingJarFailsSayingWhatToDo() {
    Path path = dir.resolve("target/demo.jar");

    assertThatThrownBy(() -> BootJar.read(path, List.of(), log))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining(path.toString())
        .hasMessageContaining("mvn package");
  }

  static Stream<Arguments> brokenBootJars() {
    return Stream.of(
        Arguments.of(
            TestJars.boot().startClass(null), "no Start-Class", "spring-boot-maven-plugin"),
        Arguments.of(
            TestJars.boot().launcher(null), "no Main-Class", "spring-boot:repackage runs before"),
        Arguments.of(
            TestJars.boot().launcher("com.example.NotThere"),
            "Main-Class com.example.NotThere is not in the jar",
            BootJar.LAUNCHER_3_2),
        Arguments.of(
            TestJars.boot().layersIndex("- \"dependencies\":\n  - BOOT-INF/lib/\n"),
            "BOOT-INF/layers.idx line 2",
            "Repackage"),
        Arguments.of(
            TestJars.boot().layersIndex("  - \"BOOT-INF/lib/\"\n"),
            "an entry before the first layer",
            "layers.idx line 1"),
        Arguments.of(
            TestJars.boot()
                .layersIndex(
                    "- \"application\":\n  - \"BOOT-INF/\"\n  - \"META-INF/\"\n"
                        + "- \"application\":\n"),
            "appears twice",
            "line 4"),
        Arguments.of(
            TestJars.boot().layersIndex("- \"application\":\n  - \"BOOT-INF/\"\n"),
            "META-INF/MANIFEST.MF belongs to no layer",
            "layers.idx"));
  }

  @ParameterizedTest
  @MethodSource("brokenBootJars")
  void brokenBootJarsFailNamingTheProblem(TestJars.Boot builder, String problem, String hint) {
    Path path = builder.writeTo(dir.resolve("broken.jar"));

    assertThatThrownBy(() -> BootJar.read(path, List.of(), log))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining(path.toString())
        .hasMessageContaining(problem)
        .hasMessageContaining(hint);
  }

  @Test
  void entryEscapingTheJarIsRefused() {
    Path path =
        TestJars.boot()
            .entry("BOOT-INF/classes/../../../etc/passwd", "x")
            .writeTo(dir.resolve("evil.jar"));

    assertThatThrownBy(() -> BootJar.read(path, List.of(), log))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining("points outside the jar");
  }
}
