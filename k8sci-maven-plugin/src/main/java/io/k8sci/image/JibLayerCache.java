package io.k8sci.image;

import com.google.cloud.tools.jib.api.CacheDirectoryCreationException;
import com.google.cloud.tools.jib.api.DescriptorDigest;
import com.google.cloud.tools.jib.api.LogEvent;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.FileEntry;
import com.google.cloud.tools.jib.blob.BlobDescriptor;
import com.google.cloud.tools.jib.cache.Cache;
import com.google.cloud.tools.jib.cache.CacheCorruptedException;
import com.google.cloud.tools.jib.hash.CountingDigestOutputStream;
import com.google.cloud.tools.jib.image.ReproducibleLayerBuilder;
import com.google.common.collect.ImmutableList;
import io.k8sci.K8sciException;
import io.k8sci.log.BuildLog;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

/**
 * Builds the image's own layers (the application's and a jlink'ed runtime's) into Jib's layer cache
 * while Jib authenticates and fetches the base image, so that Jib finds every one of them there and
 * only pushes.
 *
 * <p>Why: Jib compresses a new layer through a {@code GZIPOutputStream} with a 512-byte buffer,
 * which makes zlib run in tiny steps; for the dependencies layer of a Spring Boot service (20 MiB
 * of jars) that step alone is the longest part of a cold build. Here the same tar (Jib's own {@link
 * ReproducibleLayerBuilder}) goes through the same zlib at the same level with 64 KiB buffers, and
 * the layers are built side by side, the largest first. The bytes are identical to what Jib writes,
 * so digests do not change; it takes about a third less CPU.
 *
 * <p>The cache is Jib's own format ({@code layers/<digest>/<diff id>} holding the compressed layer,
 * {@code selectors/<selector>} naming the layer digest of a list of entries), written the way Jib
 * writes it (a temporary directory moved into place, so concurrent builds sharing the cache under
 * {@code mvn -T} never see half a layer), and read back through Jib's public {@link Cache} API. The
 * selector is computed by Jib itself ({@code LayerEntriesSelector}, which is not public and is
 * reached by reflection): should a later jib-core change it, this class says so at debug level and
 * leaves the layers to Jib, which builds the same image, only slower.
 */
final class JibLayerCache {

  private static final int BUFFER_SIZE = 64 * 1024;

  /** {@code BuildAndCacheApplicationLayerStep}'s progress message: "Building %s layer...". */
  private static final String JIB_BUILDING = "Building ";

  private static final String JIB_LAYER = " layer...";
  private static final String SELECTOR_CLASS =
      "com.google.cloud.tools.jib.cache.LayerEntriesSelector";

  private final Path directory;
  private final BuildLog log;

  JibLayerCache(Path directory, BuildLog log) {
    this.directory = directory;
    this.log = log;
  }

  /**
   * Starts building the layers that are not in the cache yet, in the background (at most one thread
   * per core, the largest layer first), and returns at once.
   */
  Filling fill(List<FileEntriesLayer> layers) {
    Optional<Method> selector = selectorMethod();
    Map<String, CompletableFuture<Boolean>> byName = new LinkedHashMap<>();
    if (selector.isEmpty() || layers.isEmpty()) {
      return new Filling(byName, null);
    }
    List<FileEntriesLayer> bySize = new ArrayList<>(layers);
    // the largest first, so that the small ones fill the other threads meanwhile
    bySize.sort(Comparator.comparingLong(JibLayerCache::sourceBytes).reversed());
    int threads = Math.max(1, Math.min(layers.size(), Runtime.getRuntime().availableProcessors()));
    AtomicInteger count = new AtomicInteger();
    ExecutorService executor =
        Executors.newFixedThreadPool(
            threads,
            task -> {
              Thread thread = new Thread(task, "k8sci-layer-" + count.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    Map<FileEntriesLayer, CompletableFuture<Boolean>> started = new IdentityHashMap<>();
    for (FileEntriesLayer layer : bySize) {
      started.put(
          layer,
          CompletableFuture.supplyAsync(
              () -> !isCached(layer) && write(layer, selector.get()), executor));
    }
    layers.forEach(layer -> byName.put(layer.getName(), started.get(layer)));
    executor.shutdown(); // the submitted layers still run; the threads end after them
    return new Filling(byName, executor);
  }

  /**
   * The layers being built into the cache. Jib's step for a layer looks into the cache right after
   * it reports {@code "Building <name> layer..."}, from its own thread; {@link #holdJib} keeps that
   * thread there until the layer is in the cache, so that Jib finds it and does not build it a
   * second time, while Jib's other steps (the base image, the registry's authentication) go on.
   */
  static final class Filling {

    private final Map<String, CompletableFuture<Boolean>> byName;
    private final ExecutorService executor;

    private Filling(Map<String, CompletableFuture<Boolean>> byName, ExecutorService executor) {
      this.byName = byName;
      this.executor = executor;
    }

    /** A Jib event handler: holds Jib's step for a layer until the layer is in the cache. */
    void holdJib(LogEvent event) {
      String message = event.getMessage();
      if (event.getLevel() != LogEvent.Level.PROGRESS
          || !message.startsWith(JIB_BUILDING)
          || !message.endsWith(JIB_LAYER)) {
        return;
      }
      String name = message.substring(JIB_BUILDING.length(), message.length() - JIB_LAYER.length());
      CompletableFuture<Boolean> layer = byName.get(name);
      if (layer == null) {
        return;
      }
      try {
        layer.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt(); // Jib is stopping this attempt
      } catch (ExecutionException e) {
        // Jib builds this layer itself; await() reports what went wrong here
      }
    }

    /**
     * Waits for every layer.
     *
     * @return the names of the layers built now (the others were in the cache)
     * @throws K8sciException the first layer that could not be built, naming it and the cache
     */
    List<String> await() {
      try {
        CompletableFuture.allOf(byName.values().toArray(CompletableFuture[]::new)).get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new K8sciException("Interrupted while building the image layers", e);
      } catch (ExecutionException e) {
        // failure() names the layer
      }
      failure()
          .ifPresent(
              f -> {
                throw f;
              });
      return byName.entrySet().stream()
          .filter(layer -> layer.getValue().join())
          .map(Map.Entry::getKey)
          .toList();
    }

    /** Why a layer could not be built, if one could not (without waiting for the others). */
    Optional<RuntimeException> failure() {
      for (CompletableFuture<Boolean> layer : byName.values()) {
        if (layer.isCompletedExceptionally() && !layer.isCancelled()) {
          try {
            layer.join();
          } catch (CompletionException e) {
            return Optional.of(
                e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e));
          }
        }
      }
      return Optional.empty();
    }

    /** Stops building (a failed build): what is written half is never moved into the cache. */
    void cancel() {
      byName.values().forEach(f -> f.cancel(true));
      if (executor != null) {
        executor.shutdownNow();
      }
    }
  }

  private boolean isCached(FileEntriesLayer layer) {
    try {
      return Cache.withDirectory(directory)
          .retrieve(ImmutableList.copyOf(layer.getEntries()))
          .isPresent();
    } catch (IOException | CacheDirectoryCreationException e) {
      throw cannotWrite(layer, e);
    } catch (CacheCorruptedException e) {
      // Jib reports and repairs this itself when it containerizes
      log.debug("Jib's layer cache has a damaged entry for " + layer.getName() + ": " + e);
      return true;
    }
  }

  /** Builds one layer into the cache; true once it is there. */
  private boolean write(FileEntriesLayer layer, Method selectorMethod) {
    ImmutableList<FileEntry> entries = ImmutableList.copyOf(layer.getEntries());
    try {
      DescriptorDigest selector = selector(selectorMethod, entries);
      Path temporaryRoot = Files.createDirectories(directory.resolve("tmp"));
      Path temporary = Files.createTempDirectory(temporaryRoot, "k8sci-layer-");
      try {
        Path temporaryFile = temporary.resolve(".tmp.layer");
        BlobDescriptor diffId;
        BlobDescriptor compressed;
        CountingDigestOutputStream compressedDigest =
            new CountingDigestOutputStream(
                new BufferedOutputStream(Files.newOutputStream(temporaryFile), BUFFER_SIZE));
        // the tar writer hands over 512-byte records; zlib gets them in 64 KiB steps
        try (OutputStream gzip = new GZIPOutputStream(compressedDigest, BUFFER_SIZE);
            OutputStream buffered = new BufferedOutputStream(gzip, BUFFER_SIZE)) {
          diffId = new ReproducibleLayerBuilder(entries).build().writeTo(buffered);
        }
        compressed = compressedDigest.computeDigest();
        Files.move(temporaryFile, temporary.resolve(diffId.getDigest().getHash()));
        Path layerDirectory = directory.resolve("layers").resolve(compressed.getDigest().getHash());
        Files.createDirectories(layerDirectory.getParent());
        moveIfAbsent(temporary, layerDirectory);
        writeSelector(selector, compressed.getDigest());
        log.debug(
            "Built layer "
                + layer.getName()
                + " into Jib's cache: "
                + compressed.getDigest()
                + ", "
                + compressed.getSize()
                + " bytes");
      } finally {
        deleteRecursively(temporary);
      }
      return true;
    } catch (IOException e) {
      throw cannotWrite(layer, e);
    }
  }

  /** Another build may have put the same layer there meanwhile: then its copy is kept. */
  private static void moveIfAbsent(Path source, Path target) throws IOException {
    if (Files.exists(target)) {
      return;
    }
    try {
      Files.move(source, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
      // written concurrently by another build: same content
    }
  }

  private void writeSelector(DescriptorDigest selector, DescriptorDigest layerDigest)
      throws IOException {
    Path selectors = Files.createDirectories(directory.resolve("selectors"));
    Path temporary = Files.createTempFile(directory.resolve("tmp"), "k8sci-selector-", null);
    try {
      Files.write(temporary, layerDigest.getHash().getBytes(StandardCharsets.UTF_8));
      Path target = selectors.resolve(selector.getHash());
      try {
        Files.move(
            temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(temporary);
    }
  }

  private static DescriptorDigest selector(Method method, ImmutableList<FileEntry> entries)
      throws IOException {
    try {
      return (DescriptorDigest) method.invoke(null, entries);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IllegalStateException("Jib's LayerEntriesSelector failed", e.getCause());
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("Jib's LayerEntriesSelector is not accessible", e);
    }
  }

  /** Jib's {@code LayerEntriesSelector.generateSelector(ImmutableList<FileEntry>)}, if present. */
  private Optional<Method> selectorMethod() {
    try {
      Method method =
          Class.forName(SELECTOR_CLASS, true, Cache.class.getClassLoader())
              .getDeclaredMethod("generateSelector", ImmutableList.class);
      method.setAccessible(true);
      if (!DescriptorDigest.class.equals(method.getReturnType())) {
        throw new NoSuchMethodException("generateSelector returns " + method.getReturnType());
      }
      return Optional.of(method);
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.debug(
          "This jib-core has no LayerEntriesSelector.generateSelector ("
              + e
              + "); Jib builds the layers itself.");
      return Optional.empty();
    }
  }

  private static long sourceBytes(FileEntriesLayer layer) {
    long bytes = 0;
    for (FileEntry entry : layer.getEntries()) {
      try {
        if (Files.isRegularFile(entry.getSourceFile())) {
          bytes += Files.size(entry.getSourceFile());
        }
      } catch (IOException e) {
        // sized as empty; reading it will report the problem
      }
    }
    return bytes;
  }

  private K8sciException cannotWrite(FileEntriesLayer layer, Exception e) {
    return new K8sciException(
        "Cannot build the layer "
            + layer.getName()
            + " into the cache "
            + directory
            + ": "
            + e.getMessage()
            + ". Check that the files exist and the cache directory is writable.",
        e);
  }

  private static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths
          .sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    } catch (IOException | UncheckedIOException e) {
      // a leftover under tmp/ is harmless; Jib ignores it
    }
  }
}
