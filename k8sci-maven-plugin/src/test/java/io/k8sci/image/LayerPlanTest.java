package io.k8sci.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.FileEntry;
import com.google.cloud.tools.jib.cache.Cache;
import com.google.cloud.tools.jib.image.ReproducibleLayerBuilder;
import com.google.common.collect.ImmutableList;
import io.k8sci.testing.RecordingBuildLog;
import io.k8sci.testing.image.TestJars;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayerPlanTest {

  private static final AbsoluteUnixPath APP = AbsoluteUnixPath.get("/app");
  private static final Instant MTIME = Instant.parse("2026-01-01T00:00:00Z");

  @TempDir Path dir;
  private final RecordingBuildLog log = new RecordingBuildLog();

  private static Map<String, FileEntriesLayer> byName(LayerPlan plan) {
    return plan.layers().stream()
        .collect(
            Collectors.toMap(
                FileEntriesLayer::getName,
                Function.identity(),
                (a, b) -> a,
                java.util.LinkedHashMap::new));
  }

  private static List<String> paths(FileEntriesLayer layer) {
    return layer.getEntries().stream().map(e -> e.getExtractionPath().toString()).toList();
  }

  @Test
  void bootJarIsExplodedUnderTheAppRootOneLayerPerBootLayerAndEmptyLayersAreSkipped() {
    Path jar = TestJars.boot().lib("spring-core-6.1.0.jar").writeTo(dir.resolve("demo.jar"));

    LayerPlan plan =
        LayerPlan.create(BootJar.read(jar, List.of(), log), dir.resolve("exploded"), APP, MTIME);

    assertThat(plan.layers())
        .extracting(FileEntriesLayer::getName)
        .containsExactly("dependencies", "spring-boot-loader", "application");
    assertThat(plan.skippedLayers()).containsExactly("snapshot-dependencies");
    Map<String, FileEntriesLayer> layers = byName(plan);
    assertThat(paths(layers.get("dependencies")))
        .containsExactly(
            "/app",
            "/app/BOOT-INF",
            "/app/BOOT-INF/lib",
            "/app/BOOT-INF/lib/spring-core-6.1.0.jar");
    assertThat(paths(layers.get("application")))
        .contains(
            "/app/BOOT-INF/classes/com/example/demo/DemoApplication.class",
            "/app/META-INF/MANIFEST.MF",
            "/app/BOOT-INF/layers.idx");
    for (FileEntriesLayer layer : plan.layers()) {
      assertThat(paths(layer))
          .isSorted()
          .doesNotHaveDuplicates()
          .allMatch(p -> p.startsWith("/app"));
    }
    Path exploded = dir.resolve("exploded");
    assertThat(exploded.resolve("BOOT-INF/classes/application.properties"))
        .hasContent("server.port=8080");
    FileEntry manifest =
        layers.get("application").getEntries().stream()
            .filter(e -> e.getExtractionPath().toString().equals("/app/META-INF/MANIFEST.MF"))
            .findFirst()
            .orElseThrow();
    assertThat(manifest.getSourceFile())
        .isEqualTo(exploded.toAbsolutePath().resolve("META-INF/MANIFEST.MF"));
  }

  @Test
  void everyEntryHasFixedPermissionsAndTheGivenModificationTime() {
    Path jar = TestJars.boot().lib("a-1.0.jar").writeTo(dir.resolve("demo.jar"));

    LayerPlan plan =
        LayerPlan.create(BootJar.read(jar, List.of(), log), dir.resolve("exploded"), APP, MTIME);

    List<FileEntry> entries = plan.layers().stream().flatMap(l -> l.getEntries().stream()).toList();
    assertThat(entries).isNotEmpty().allMatch(e -> e.getModificationTime().equals(MTIME));
    assertThat(entries)
        .filteredOn(e -> Files.isDirectory(e.getSourceFile()))
        .isNotEmpty()
        .allMatch(e -> e.getPermissions().toOctalString().equals("755"));
    assertThat(entries)
        .filteredOn(e -> Files.isRegularFile(e.getSourceFile()))
        .isNotEmpty()
        .allMatch(e -> e.getPermissions().toOctalString().equals("644"));
    assertThat(entries).allMatch(e -> e.getOwnership().isEmpty());
  }

  @Test
  void customAppRootGetsItsAncestorDirectoriesInEveryLayer() {
    Path jar = TestJars.boot().lib("a-1.0.jar").writeTo(dir.resolve("demo.jar"));

    LayerPlan plan =
        LayerPlan.create(
            BootJar.read(jar, List.of(), log),
            dir.resolve("exploded"),
            AbsoluteUnixPath.get("/opt/service"),
            MTIME);

    for (FileEntriesLayer layer : plan.layers()) {
      assertThat(paths(layer)).startsWith("/opt", "/opt/service");
    }
    assertThat(plan.classpath()).containsExactly("/opt/service");
  }

  @Test
  void entrypointRunsTheLauncherFoundInTheManifestWithJvmFlags() {
    Path modern = TestJars.boot().writeTo(dir.resolve("modern.jar"));
    Path legacy =
        TestJars.boot().launcher(TestJars.LAUNCHER_LEGACY).writeTo(dir.resolve("legacy.jar"));

    LayerPlan modernPlan =
        LayerPlan.create(BootJar.read(modern, List.of(), log), dir.resolve("m"), APP, MTIME);
    LayerPlan legacyPlan =
        LayerPlan.create(BootJar.read(legacy, List.of(), log), dir.resolve("l"), APP, MTIME);

    assertThat(modernPlan.entrypoint("java", List.of("-Xmx256m", "-XX:+UseZGC")))
        .containsExactly(
            "java",
            "-Xmx256m",
            "-XX:+UseZGC",
            "-cp",
            "/app",
            "org.springframework.boot.loader.launch.JarLauncher");
    assertThat(legacyPlan.entrypoint("/opt/java/bin/java", List.of()))
        .containsExactly(
            "/opt/java/bin/java", "-cp", "/app", "org.springframework.boot.loader.JarLauncher");
  }

  @Test
  void droppedDevtoolsIsLeftOutOfTheExplodedClasspathIndex() throws Exception {
    Path jar =
        TestJars.boot()
            .lib("spring-core-6.1.0.jar")
            .lib("spring-boot-devtools-3.3.5.jar")
            .writeTo(dir.resolve("demo.jar"));

    LayerPlan plan =
        LayerPlan.create(BootJar.read(jar, List.of(), log), dir.resolve("exploded"), APP, MTIME);

    Path exploded = dir.resolve("exploded");
    assertThat(Files.readString(exploded.resolve("BOOT-INF/classpath.idx")))
        .isEqualTo("- \"BOOT-INF/lib/spring-core-6.1.0.jar\"\n");
    assertThat(exploded.resolve("BOOT-INF/lib/spring-boot-devtools-3.3.5.jar")).doesNotExist();
    assertThat(plan.layers()).flatMap(LayerPlanTest::paths).noneMatch(p -> p.contains("devtools"));
  }

  @Test
  void planningAgainRemovesWhatTheNewJarNoLongerHas() throws Exception {
    Path workDirectory = dir.resolve("exploded");
    Path v1 =
        TestJars.boot().classFile("com/example/Old.class", "old").writeTo(dir.resolve("v1.jar"));
    LayerPlan.create(BootJar.read(v1, List.of(), log), workDirectory, APP, MTIME);
    assertThat(workDirectory.resolve("BOOT-INF/classes/com/example/Old.class")).exists();

    Path v2 = TestJars.boot().writeTo(dir.resolve("v2.jar"));
    LayerPlan plan = LayerPlan.create(BootJar.read(v2, List.of(), log), workDirectory, APP, MTIME);

    assertThat(workDirectory.resolve("BOOT-INF/classes/com/example/Old.class")).doesNotExist();
    assertThat(plan.layers()).flatMap(LayerPlanTest::paths).noneMatch(p -> p.contains("Old"));
  }

  @Test
  void anUnchangedLayerIsFoundInJibsLayerCacheAndAChangedClassOfTheSameSizeAndTimeIsNot()
      throws Exception {
    // TestJars gives every entry the same time, as project.build.outputTimestamp does
    Path workDirectory = dir.resolve("exploded");
    Cache cache = Cache.withDirectory(dir.resolve("cache"));
    Path v1 =
        TestJars.boot()
            .lib("spring-core-6.1.0.jar")
            .classFile("com/example/A.class", "version-1")
            .writeTo(dir.resolve("v1.jar"));
    for (FileEntriesLayer layer :
        LayerPlan.create(BootJar.read(v1, List.of(), log), workDirectory, APP, MTIME).layers()) {
      ImmutableList<FileEntry> entries = ImmutableList.copyOf(layer.getEntries());
      cache.writeUncompressedLayer(new ReproducibleLayerBuilder(entries).build(), entries);
    }

    Map<String, FileEntriesLayer> same =
        byName(LayerPlan.create(BootJar.read(v1, List.of(), log), workDirectory, APP, MTIME));
    for (FileEntriesLayer layer : same.values()) {
      assertThat(cache.retrieve(ImmutableList.copyOf(layer.getEntries())))
          .as("layer %s of the same jar", layer.getName())
          .isPresent();
    }

    Path v2 =
        TestJars.boot()
            .lib("spring-core-6.1.0.jar")
            .classFile("com/example/A.class", "version-2")
            .writeTo(dir.resolve("v2.jar"));
    Map<String, FileEntriesLayer> changed =
        byName(LayerPlan.create(BootJar.read(v2, List.of(), log), workDirectory, APP, MTIME));
    assertThat(cache.retrieve(ImmutableList.copyOf(changed.get("application").getEntries())))
        .isEmpty();
    assertThat(cache.retrieve(ImmutableList.copyOf(changed.get("dependencies").getEntries())))
        .isPresent();
    assertThat(workDirectory.resolve("BOOT-INF/classes/com/example/A.class"))
        .hasContent("version-2");
  }

  @Test
  void fingerprintIsStableAndChangesWithTheEntrysTimeCrcOrSize() {
    java.nio.file.attribute.FileTime base = LayerPlan.fingerprint(1_700_000_000_000L, 0xCAFEL, 42);

    assertThat(LayerPlan.fingerprint(1_700_000_000_000L, 0xCAFEL, 42)).isEqualTo(base);
    assertThat(
            java.util.Set.of(
                base,
                LayerPlan.fingerprint(1_700_000_000_001L, 0xCAFEL, 42),
                LayerPlan.fingerprint(1_700_000_000_000L, 0xCAFFL, 42),
                LayerPlan.fingerprint(1_700_000_000_000L, 0xCAFEL, 43),
                // the same values in other places
                LayerPlan.fingerprint(0xCAFEL, 1_700_000_000_000L, 42)))
        .hasSize(5);
    // a time every file system can store (1970..2038), with nanoseconds
    for (long i = 0; i < 1000; i++) {
      java.time.Instant t = LayerPlan.fingerprint(i, i * 31, i * 17).toInstant();
      assertThat(t.getEpochSecond()).isBetween(0L, (long) Integer.MAX_VALUE);
      assertThat(t.getNano()).isBetween(0, 999_999_999);
    }
  }

  @Test
  void plainJarGoesToAppJarAndItsDependenciesToLibs() {
    Path jar = TestJars.plain(dir.resolve("tool.jar"), "com.example.Tool");
    Path guava = TestJars.library(dir.resolve("repo/guava-33.0.jar"));
    Path model = TestJars.library(dir.resolve("repo/model-1.0-SNAPSHOT.jar"));

    LayerPlan plan =
        LayerPlan.create(
            BootJar.read(jar, List.of(guava, model), log), dir.resolve("work"), APP, MTIME);

    Map<String, FileEntriesLayer> layers = byName(plan);
    assertThat(layers.keySet())
        .containsExactly("dependencies", "snapshot-dependencies", "application");
    assertThat(paths(layers.get("dependencies")))
        .containsExactly("/app", "/app/libs", "/app/libs/guava-33.0.jar");
    assertThat(paths(layers.get("snapshot-dependencies")))
        .containsExactly("/app", "/app/libs", "/app/libs/model-1.0-SNAPSHOT.jar");
    assertThat(paths(layers.get("application"))).containsExactly("/app", "/app/app.jar");
    assertThat(layers.get("application").getEntries().get(1).getSourceFile())
        .isEqualTo(jar.toAbsolutePath());
    assertThat(plan.entrypoint("java", List.of("-Xss1m")))
        .containsExactly("java", "-Xss1m", "-cp", "/app/app.jar:/app/libs/*", "com.example.Tool");
  }

  @Test
  void plainJarWithoutDependenciesHasOnlyTheApplicationLayer() {
    Path jar = TestJars.plain(dir.resolve("tool.jar"), "com.example.Tool");

    LayerPlan plan =
        LayerPlan.create(BootJar.read(jar, List.of(), log), dir.resolve("work"), APP, MTIME);

    assertThat(plan.layers()).extracting(FileEntriesLayer::getName).containsExactly("application");
    assertThat(plan.skippedLayers()).containsExactly("dependencies", "snapshot-dependencies");
  }
}
