package io.k8sci.image;

import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.FileEntry;
import com.google.cloud.tools.jib.api.buildplan.FilePermissions;
import io.k8sci.K8sciException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * How a {@link BootJar} becomes image layers: one layer per Spring Boot layer, in index order, with
 * the jar exploded under the app root (default {@code /app}) so the launcher runs as {@code java
 * -cp /app <launcher>}, the way Spring Boot recommends for containers (faster start, and only the
 * layers that changed are pushed).
 *
 * <p>Everything that goes into a layer is fixed so that the same jar always gives the same layer
 * digests: entries sorted by path, files {@code 644}, directories {@code 755}, owner {@code 0:0},
 * one modification time for every entry (directories included). Empty layers are left out.
 *
 * <p>A plain jar becomes {@code <appRoot>/app.jar} plus its dependencies under {@code
 * <appRoot>/libs/}, started with {@code java -cp <appRoot>/app.jar:<appRoot>/libs/* Main-Class}.
 */
public final class LayerPlan {

  /** Jib's default modification time for files: the epoch plus one second. */
  public static final Instant DEFAULT_FILES_MODIFICATION_TIME =
      FileEntriesLayer.DEFAULT_MODIFICATION_TIME;

  public static final FilePermissions FILE_PERMISSIONS = FilePermissions.fromOctalString("644");
  public static final FilePermissions DIRECTORY_PERMISSIONS =
      FilePermissions.fromOctalString("755");

  private final List<FileEntriesLayer> layers;
  private final List<String> skippedLayers;
  private final List<String> classpath;
  private final String mainClass;

  private LayerPlan(
      List<FileEntriesLayer> layers,
      List<String> skippedLayers,
      List<String> classpath,
      String mainClass) {
    this.layers = List.copyOf(layers);
    this.skippedLayers = List.copyOf(skippedLayers);
    this.classpath = List.copyOf(classpath);
    this.mainClass = mainClass;
  }

  /**
   * Plans the layers, exploding a Boot jar into {@code workDirectory} (Jib reads the layer files
   * from there while it containerizes). An earlier build's files are brought up to date: what the
   * jar no longer has is deleted, changed entries are written again, unchanged ones are kept as
   * they are, so that Jib's layer cache recognises unchanged layers (see {@link #fingerprint}).
   *
   * @param filesModificationTime the modification time of every file and directory in the layers
   */
  public static LayerPlan create(
      BootJar jar, Path workDirectory, AbsoluteUnixPath appRoot, Instant filesModificationTime) {
    try {
      return jar.kind() == BootJar.Kind.SPRING_BOOT
          ? planBoot(jar, workDirectory, appRoot, filesModificationTime)
          : planPlain(jar, workDirectory, appRoot, filesModificationTime);
    } catch (IOException e) {
      throw new K8sciException(
          "Cannot explode " + jar.path() + " into " + workDirectory + ": " + e.getMessage(), e);
    }
  }

  private static LayerPlan planBoot(
      BootJar jar, Path workDirectory, AbsoluteUnixPath appRoot, Instant mtime) throws IOException {
    Path exploded = workDirectory.toAbsolutePath().normalize();
    Files.createDirectories(exploded);
    Set<Path> wanted = new HashSet<>();
    for (BootJar.Layer layer : jar.layers()) {
      for (String name : layer.entries()) {
        Path target = exploded.resolve(name).normalize();
        if (!target.startsWith(exploded) || target.equals(exploded)) {
          throw new K8sciException(
              jar.path() + " contains the entry \"" + name + "\" outside the jar; refusing it.");
        }
        wanted.add(target);
      }
    }
    // what an earlier build left and this jar no longer has (or has as a directory instead)
    removeAllBut(exploded, wanted);
    try (ZipFile zip = new ZipFile(jar.path().toFile())) {
      for (BootJar.Layer layer : jar.layers()) {
        for (String name : layer.entries()) {
          Path target = exploded.resolve(name).normalize();
          ZipEntry entry = zip.getEntry(name);
          byte[] generated =
              name.equals(BootJar.CLASSPATH_INDEX) && !jar.droppedEntries().isEmpty()
                  ? BootJar.formatClasspathIndex(jar.classpathIndex())
                      .getBytes(StandardCharsets.UTF_8)
                  : null;
          long size = generated != null ? generated.length : entry.getSize();
          FileTime fingerprint =
              fingerprint(
                  entry.getTime(), generated != null ? crc(generated) : entry.getCrc(), size);
          if (isExtracted(target, size, fingerprint)) {
            continue;
          }
          Files.createDirectories(target.getParent());
          if (generated != null) {
            Files.write(target, generated);
          } else {
            try (InputStream in = zip.getInputStream(entry)) {
              Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            }
          }
          Files.setLastModifiedTime(target, fingerprint);
        }
      }
    }
    // The source of every directory entry: its time is part of Jib's cache key, keep it fixed.
    Files.setLastModifiedTime(exploded, FileTime.from(DEFAULT_FILES_MODIFICATION_TIME));
    List<FileEntriesLayer> layers = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    for (BootJar.Layer layer : jar.layers()) {
      Map<String, Path> files = new TreeMap<>();
      for (String name : layer.entries()) {
        files.put(name, exploded.resolve(name));
      }
      addLayer(layer.name(), files, exploded, appRoot, mtime, layers, skipped);
    }
    return new LayerPlan(layers, skipped, List.of(appRoot.toString()), jar.mainClass());
  }

  /**
   * The modification time given to an exploded file: a fingerprint of the jar entry's time, CRC-32
   * and size, not the entry's time alone.
   *
   * <p>Why: Jib finds a cached layer by the source path and modification time of its files, never
   * by their content. With {@code project.build.outputTimestamp} every entry of the jar has the
   * same time, so a changed class would keep its time and Jib would push the previous layer. The
   * fingerprint changes whenever the entry's time, size or CRC-32 does, and stays the same for an
   * unchanged entry, so unchanged layers come from the cache and unchanged files are not written
   * again. On a file system that keeps only whole seconds the files are written again every build
   * (still correct). The image is not affected: the layers' tar entries get {@code
   * filesModificationTime}.
   *
   * <p>The three values go through a 64-bit mixing function (SplitMix64's finaliser), not a
   * cryptographic hash: only accidental collisions matter here, and this runs for every entry of
   * the jar in a JVM that has not compiled SHA-256 yet (a SHA-256 per entry was a tenth of the
   * image goal's time for a one-class change). 61 bits are kept: seconds in 1970-2038 plus
   * nanoseconds.
   */
  static FileTime fingerprint(long entryTime, long crc, long size) {
    long bits = mix(mix(mix(entryTime) ^ crc) ^ size);
    long seconds = bits & Integer.MAX_VALUE;
    long nanos = Long.remainderUnsigned(bits >>> 31, 1_000_000_000L);
    return FileTime.from(Instant.ofEpochSecond(seconds, nanos));
  }

  /** SplitMix64's finaliser: every input bit affects every output bit. */
  private static long mix(long z) {
    z += 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** A regular file (not a link) of this size and fingerprint: written by an earlier plan. */
  private static boolean isExtracted(Path target, long size, FileTime fingerprint)
      throws IOException {
    if (size < 0) {
      return false;
    }
    try {
      BasicFileAttributes attributes =
          Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      return attributes.isRegularFile()
          && attributes.size() == size
          && attributes.lastModifiedTime().equals(fingerprint);
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  /**
   * Deletes every file and link under {@code root} that is not in {@code keep}, and the directories
   * left empty.
   */
  private static void removeAllBut(Path root, Set<Path> keep) throws IOException {
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            if (!keep.contains(file)) {
              Files.delete(file);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path directory, IOException e)
              throws IOException {
            if (e != null) {
              throw e;
            }
            if (!directory.equals(root)) {
              try (Stream<Path> children = Files.list(directory)) {
                if (children.findAny().isEmpty()) {
                  Files.delete(directory);
                }
              }
            }
            return FileVisitResult.CONTINUE;
          }
        });
  }

  private static long crc(byte[] content) {
    CRC32 crc = new CRC32();
    crc.update(content);
    return crc.getValue();
  }

  private static LayerPlan planPlain(
      BootJar jar, Path workDirectory, AbsoluteUnixPath appRoot, Instant mtime) throws IOException {
    Path directorySource = workDirectory.toAbsolutePath().normalize();
    Files.createDirectories(directorySource);
    Map<String, Path> byFileName = new TreeMap<>();
    jar.dependencies().forEach(d -> byFileName.put(d.getFileName().toString(), d));
    List<FileEntriesLayer> layers = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    for (BootJar.Layer layer : jar.layers()) {
      Map<String, Path> files = new TreeMap<>();
      if (layer.name().equals(BootJar.APPLICATION)) {
        files.put("app.jar", jar.path().toAbsolutePath());
      } else {
        layer.entries().forEach(name -> files.put("libs/" + name, byFileName.get(name)));
      }
      addLayer(layer.name(), files, directorySource, appRoot, mtime, layers, skipped);
    }
    return new LayerPlan(
        layers,
        skipped,
        List.of(appRoot.resolve("app.jar").toString(), appRoot.resolve("libs").toString() + "/*"),
        jar.mainClass());
  }

  /**
   * Adds one layer: every file at {@code appRoot/<relative path>} and every directory on the way
   * (the app root and its ancestors included), all with the same metadata.
   */
  private static void addLayer(
      String name,
      Map<String, Path> files,
      Path directorySource,
      AbsoluteUnixPath appRoot,
      Instant mtime,
      List<FileEntriesLayer> layers,
      List<String> skipped) {
    if (files.isEmpty()) {
      skipped.add(name);
      return;
    }
    TreeMap<String, FileEntry> entries = new TreeMap<>();
    for (Map.Entry<String, Path> file : files.entrySet()) {
      AbsoluteUnixPath target = appRoot.resolve(file.getKey());
      entries.put(
          target.toString(), new FileEntry(file.getValue(), target, FILE_PERMISSIONS, mtime));
      for (String dir = parent(target.toString()); !dir.equals("/"); dir = parent(dir)) {
        entries.putIfAbsent(
            dir,
            new FileEntry(
                directorySource, AbsoluteUnixPath.get(dir), DIRECTORY_PERMISSIONS, mtime));
      }
    }
    // sorted by path: a directory comes before what it contains
    layers.add(
        FileEntriesLayer.builder()
            .setName(name)
            .setEntries(new ArrayList<>(entries.values()))
            .build());
  }

  private static String parent(String unixPath) {
    int slash = unixPath.lastIndexOf('/');
    return slash <= 0 ? "/" : unixPath.substring(0, slash);
  }

  /** The non-empty layers, in order, ready for {@code JibContainerBuilder.addFileEntriesLayer}. */
  public List<FileEntriesLayer> layers() {
    return layers;
  }

  /** Names of the layers left out because nothing belongs to them (e.g. no snapshot deps). */
  public List<String> skippedLayers() {
    return skippedLayers;
  }

  /** The {@code -cp} elements: the app root for a Boot jar, app.jar and libs/* for a plain jar. */
  public List<String> classpath() {
    return classpath;
  }

  /** The class {@code java} starts: the Spring Boot launcher, or a plain jar's Main-Class. */
  public String mainClass() {
    return mainClass;
  }

  /**
   * {@code <java> <jvmFlags> -cp <classpath> <mainClass>}.
   *
   * @param javaExecutable {@code java} (on the base image's PATH) or an absolute path (jlink)
   */
  public List<String> entrypoint(String javaExecutable, List<String> jvmFlags) {
    List<String> entrypoint = new ArrayList<>();
    entrypoint.add(javaExecutable);
    entrypoint.addAll(jvmFlags);
    entrypoint.add("-cp");
    entrypoint.add(String.join(":", classpath));
    entrypoint.add(mainClass);
    return List.copyOf(entrypoint);
  }
}
