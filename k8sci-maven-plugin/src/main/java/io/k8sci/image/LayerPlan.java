package io.k8sci.image;

import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.FileEntry;
import com.google.cloud.tools.jib.api.buildplan.FilePermissions;
import io.k8sci.K8sciException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
   * Plans the layers, exploding a Boot jar into {@code workDirectory} (emptied first; Jib reads the
   * layer files from there while it containerizes).
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
    deleteRecursively(exploded);
    Files.createDirectories(exploded);
    try (ZipFile zip = new ZipFile(jar.path().toFile())) {
      for (BootJar.Layer layer : jar.layers()) {
        for (String name : layer.entries()) {
          Path target = exploded.resolve(name).normalize();
          if (!target.startsWith(exploded)) {
            throw new K8sciException(
                jar.path() + " contains the entry \"" + name + "\" outside the jar; refusing it.");
          }
          ZipEntry entry = zip.getEntry(name);
          Files.createDirectories(target.getParent());
          if (name.equals(BootJar.CLASSPATH_INDEX) && !jar.droppedEntries().isEmpty()) {
            Files.writeString(target, BootJar.formatClasspathIndex(jar.classpathIndex()));
          } else {
            try (InputStream in = zip.getInputStream(entry)) {
              Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            }
            // keeps Jib's layer cache selector (which includes the source file's time) stable
            // across builds of the same jar
            Files.setLastModifiedTime(target, FileTime.fromMillis(entry.getTime()));
          }
        }
      }
    }
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

  static void deleteRecursively(Path directory) throws IOException {
    if (!Files.exists(directory)) {
      return;
    }
    Files.walkFileTree(
        directory,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            Files.delete(dir);
            return FileVisitResult.CONTINUE;
          }
        });
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
