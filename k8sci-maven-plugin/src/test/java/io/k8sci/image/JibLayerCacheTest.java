package io.k8sci.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.cloud.tools.jib.api.LogEvent;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.cache.Cache;
import com.google.cloud.tools.jib.cache.CachedLayer;
import com.google.cloud.tools.jib.image.ReproducibleLayerBuilder;
import com.google.common.collect.ImmutableList;
import io.k8sci.K8sciException;
import io.k8sci.testing.RecordingBuildLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JibLayerCacheTest {

  @TempDir Path dir;

  private final RecordingBuildLog log = new RecordingBuildLog();

  /** A layer of {@code files} files of {@code size} random bytes each (not compressible). */
  private FileEntriesLayer layer(String name, int files, int size) throws Exception {
    Path source = Files.createDirectories(dir.resolve("src/" + name));
    Random random = new Random(name.hashCode());
    FileEntriesLayer.Builder layer = FileEntriesLayer.builder().setName(name);
    for (int i = 0; i < files; i++) {
      byte[] content = new byte[size];
      random.nextBytes(content);
      // some repetition too, so that zlib has something to find
      System.arraycopy(content, 0, content, size / 2, size / 4);
      Path file = Files.write(source.resolve("file-" + i + ".bin"), content);
      layer.addEntry(
          file,
          AbsoluteUnixPath.get("/app/" + name + "/file-" + i + ".bin"),
          LayerPlan.FILE_PERMISSIONS,
          LayerPlan.DEFAULT_FILES_MODIFICATION_TIME);
    }
    return layer.build();
  }

  private static Optional<CachedLayer> retrieve(Path cache, FileEntriesLayer layer)
      throws Exception {
    return Cache.withDirectory(cache).retrieve(ImmutableList.copyOf(layer.getEntries()));
  }

  @Test
  void layersAreFoundByJibWithTheBytesJibItselfWouldHaveWritten() throws Exception {
    FileEntriesLayer dependencies = layer("dependencies", 6, 200_000);
    FileEntriesLayer application = layer("application", 2, 3_000);
    Path cache = dir.resolve("cache");

    List<String> built =
        new JibLayerCache(cache, log).fill(List.of(application, dependencies)).await();

    assertThat(built).containsExactlyInAnyOrder("dependencies", "application");
    for (FileEntriesLayer layer : List.of(dependencies, application)) {
      // what Jib writes when it builds the layer itself, in a cache of its own
      ImmutableList<com.google.cloud.tools.jib.api.buildplan.FileEntry> entries =
          ImmutableList.copyOf(layer.getEntries());
      CachedLayer byJib =
          Cache.withDirectory(dir.resolve("jib-cache-" + layer.getName()))
              .writeUncompressedLayer(new ReproducibleLayerBuilder(entries).build(), entries);
      CachedLayer ours = retrieve(cache, layer).orElseThrow();
      assertThat(ours.getDigest()).isEqualTo(byJib.getDigest());
      assertThat(ours.getDiffId()).isEqualTo(byJib.getDiffId());
      assertThat(ours.getSize()).isEqualTo(byJib.getSize());
    }
    assertThat(log.lines("DEBUG")).anyMatch(l -> l.startsWith("Built layer dependencies into"));
  }

  @Test
  void layersAlreadyInTheCacheAreNotBuiltAgain() throws Exception {
    FileEntriesLayer dependencies = layer("dependencies", 3, 50_000);
    FileEntriesLayer application = layer("application", 1, 1_000);
    Path cache = dir.resolve("cache");
    new JibLayerCache(cache, log).fill(List.of(dependencies)).await();

    List<String> built =
        new JibLayerCache(cache, log).fill(List.of(dependencies, application)).await();

    assertThat(built).containsExactly("application");
  }

  @Test
  void jibsStepForALayerIsHeldUntilTheLayerIsInTheCache() throws Exception {
    // large enough that it is not written yet when the hold starts
    FileEntriesLayer dependencies = layer("dependencies", 24, 1_000_000);
    Path cache = dir.resolve("cache");
    JibLayerCache.Filling filling = new JibLayerCache(cache, log).fill(List.of(dependencies));

    filling.holdJib(LogEvent.progress("Building dependencies layer..."));

    assertThat(retrieve(cache, dependencies)).isPresent();
    filling.await();
  }

  @Test
  void otherJibMessagesAreNotHeld() throws Exception {
    FileEntriesLayer dependencies = layer("dependencies", 24, 1_000_000);
    Path cache = dir.resolve("cache");
    JibLayerCache.Filling filling = new JibLayerCache(cache, log).fill(List.of(dependencies));

    CompletableFuture<Void> held =
        CompletableFuture.runAsync(
            () -> {
              filling.holdJib(LogEvent.info("Building dependencies layer..."));
              filling.holdJib(LogEvent.progress("Building unknown layer..."));
              filling.holdJib(LogEvent.progress("Getting manifest for base image x..."));
            });

    held.join();
    assertThat(filling.await()).containsExactly("dependencies");
  }

  @Test
  void concurrentBuildsSharingTheCacheBothSucceed() throws Exception {
    FileEntriesLayer dependencies = layer("dependencies", 8, 300_000);
    Path cache = dir.resolve("cache");

    JibLayerCache.Filling first = new JibLayerCache(cache, log).fill(List.of(dependencies));
    JibLayerCache.Filling second = new JibLayerCache(cache, log).fill(List.of(dependencies));
    first.await();
    second.await();

    CachedLayer layer = retrieve(cache, dependencies).orElseThrow();
    try (var layers = Files.list(cache.resolve("layers"))) {
      assertThat(layers.toList())
          .containsExactly(cache.resolve("layers").resolve(layer.getDigest().getHash()));
    }
  }

  @Test
  void aLayerThatCannotBeReadNamesTheLayerAndTheCache() throws Exception {
    FileEntriesLayer application = layer("application", 2, 1_000);
    Files.delete(application.getEntries().get(1).getSourceFile());
    Path cache = dir.resolve("cache");

    JibLayerCache.Filling filling = new JibLayerCache(cache, log).fill(List.of(application));

    assertThatThrownBy(filling::await)
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining("Cannot build the layer application into the cache " + cache)
        .hasMessageContaining("file-1.bin");
    assertThat(filling.failure()).isPresent();
  }
}
