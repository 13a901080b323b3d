package io.k8sci.image;

import io.k8sci.K8sciException;
import io.k8sci.log.BuildLog;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * What the image is made of, read from the project's jar: the Spring Boot layers ({@code
 * BOOT-INF/layers.idx}, or the same four layers by rule when the jar has no index), the launcher
 * and application class from the manifest, and the nested-jar order ({@code
 * BOOT-INF/classpath.idx}).
 *
 * <p>Why a reader of our own rather than Spring Boot's {@code jarmode=tools}: the image goal must
 * not run the application's code (or a JVM) to learn its layout, and it must fail with an
 * actionable message when the jar is not repackaged yet.
 *
 * <p>A plain executable jar (manifest {@code Main-Class}, no {@code BOOT-INF/}) is supported too:
 * its runtime dependencies, given by the caller, become the dependency layers.
 *
 * <p>{@code spring-boot-devtools} never reaches an image: its jar is dropped (and logged) even if
 * the repackage was configured to keep it.
 *
 * <p>Instances are immutable.
 */
public final class BootJar {

  /** The layout of the jar. */
  public enum Kind {
    /** A jar repackaged by spring-boot:repackage ({@code BOOT-INF/}, a Spring Boot launcher). */
    SPRING_BOOT,
    /** A plain executable jar: {@code Main-Class} in the manifest, dependencies outside the jar. */
    PLAIN
  }

  /** One Spring Boot layer: its name and the jar entries (files only) that belong to it. */
  public record Layer(String name, List<String> entries) {
    public Layer {
      entries = List.copyOf(entries);
    }
  }

  public static final String DEPENDENCIES = "dependencies";
  public static final String SPRING_BOOT_LOADER = "spring-boot-loader";
  public static final String SNAPSHOT_DEPENDENCIES = "snapshot-dependencies";
  public static final String APPLICATION = "application";

  /** Spring Boot's launcher since 3.2. */
  public static final String LAUNCHER_3_2 = "org.springframework.boot.loader.launch.JarLauncher";

  /** Spring Boot's launcher before 3.2. */
  public static final String LAUNCHER_LEGACY = "org.springframework.boot.loader.JarLauncher";

  static final String LAYERS_INDEX = "BOOT-INF/layers.idx";
  static final String CLASSPATH_INDEX = "BOOT-INF/classpath.idx";
  private static final String BOOT_INF = "BOOT-INF/";
  private static final String BOOT_LIB = "BOOT-INF/lib/";
  private static final String LOADER_PACKAGE = "org/springframework/boot/loader/";
  private static final Pattern LAYER_LINE = Pattern.compile("^- \"(.+)\":\\s*$");
  private static final Pattern ENTRY_LINE = Pattern.compile("^\\s+- \"(.+)\"\\s*$");

  private final Path path;
  private final Kind kind;
  private final String mainClass;
  private final Optional<String> startClass;
  private final Optional<String> springBootVersion;
  private final boolean layersIndexed;
  private final List<Layer> layers;
  private final List<String> classpathIndex;
  private final List<String> droppedEntries;
  private final List<Path> dependencies;

  private BootJar(
      Path path,
      Kind kind,
      String mainClass,
      Optional<String> startClass,
      Optional<String> springBootVersion,
      boolean layersIndexed,
      List<Layer> layers,
      List<String> classpathIndex,
      List<String> droppedEntries,
      List<Path> dependencies) {
    this.path = path;
    this.kind = kind;
    this.mainClass = mainClass;
    this.startClass = startClass;
    this.springBootVersion = springBootVersion;
    this.layersIndexed = layersIndexed;
    this.layers = List.copyOf(layers);
    this.classpathIndex = List.copyOf(classpathIndex);
    this.droppedEntries = List.copyOf(droppedEntries);
    this.dependencies = List.copyOf(dependencies);
  }

  /**
   * Reads a jar.
   *
   * @param jar the project's jar (after spring-boot:repackage for a Boot application)
   * @param runtimeDependencies the runtime class path of a plain jar (ignored for a Boot jar, whose
   *     dependencies are nested in it)
   * @throws K8sciException when the jar is missing, unreadable, not executable (not repackaged) or
   *     its layer index is malformed; the message says what to do
   */
  public static BootJar read(Path jar, List<Path> runtimeDependencies, BuildLog log) {
    if (jar == null || !Files.isRegularFile(jar)) {
      throw new K8sciException(
          "No jar to put in the image at "
              + jar
              + ": run `mvn package` so the jar (and spring-boot:repackage) is built before"
              + " k8sci:image, or set the jar to use.");
    }
    try (JarFile zip = new JarFile(jar.toFile(), false)) {
      Manifest manifest = zip.getManifest();
      Attributes attributes = manifest == null ? new Attributes() : manifest.getMainAttributes();
      String mainClass = trimToNull(attributes.getValue("Main-Class"));
      List<String> files = new ArrayList<>();
      boolean bootInf = false;
      for (ZipEntry entry : Collections.list(zip.entries())) {
        checkEntryName(jar, entry.getName());
        if (entry.getName().startsWith(BOOT_INF)) {
          bootInf = true;
        }
        if (!entry.isDirectory()) {
          files.add(entry.getName());
        }
      }
      if (mainClass == null && !bootInf) {
        throw new K8sciException(
            jar
                + " is not an executable jar: its manifest has no Main-Class and it has no BOOT-INF/"
                + " (it was not repackaged by Spring Boot): run `mvn package` so"
                + " spring-boot:repackage runs before k8sci:image, or bind k8sci:image after it"
                + " (a later phase, or declared after spring-boot-maven-plugin in the same"
                + " phase).");
      }
      if (!bootInf) {
        return readPlain(jar, mainClass, runtimeDependencies, log);
      }
      return readBoot(jar, zip, attributes, mainClass, files, log);
    } catch (IOException e) {
      throw new K8sciException("Cannot read the jar " + jar + ": " + e.getMessage(), e);
    }
  }

  private static BootJar readPlain(
      Path jar, String mainClass, List<Path> runtimeDependencies, BuildLog log) {
    List<Path> kept = new ArrayList<>();
    for (Path dependency : runtimeDependencies == null ? List.<Path>of() : runtimeDependencies) {
      String name = dependency.getFileName().toString();
      if (isDevtools(name)) {
        log.info("Dropped " + dependency + " from the image: devtools is for local development.");
        continue;
      }
      if (!Files.isRegularFile(dependency)) {
        throw new K8sciException(
            "Runtime dependency "
                + dependency
                + " of "
                + jar
                + " does not exist or is not a file: run `mvn package` (or resolve the"
                + " dependencies) before k8sci:image.");
      }
      kept.add(dependency);
    }
    Map<String, Path> byName = new LinkedHashMap<>();
    for (Path dependency : kept) {
      Path clash = byName.put(dependency.getFileName().toString(), dependency);
      if (clash != null) {
        throw new K8sciException(
            "Two runtime dependencies of "
                + jar
                + " have the same file name and would overwrite each other under libs/: "
                + clash
                + " and "
                + dependency
                + ". Exclude one of them or rename it.");
      }
    }
    List<Layer> layers = new ArrayList<>();
    List<String> release = new ArrayList<>();
    List<String> snapshots = new ArrayList<>();
    for (Path dependency : kept) {
      String name = dependency.getFileName().toString();
      (name.contains("-SNAPSHOT") ? snapshots : release).add(name);
    }
    layers.add(new Layer(DEPENDENCIES, release));
    layers.add(new Layer(SNAPSHOT_DEPENDENCIES, snapshots));
    layers.add(new Layer(APPLICATION, List.of(jar.getFileName().toString())));
    return new BootJar(
        jar,
        Kind.PLAIN,
        mainClass,
        Optional.empty(),
        Optional.empty(),
        false,
        layers,
        List.of(),
        List.of(),
        kept);
  }

  private static BootJar readBoot(
      Path jar,
      ZipFile zip,
      Attributes attributes,
      String mainClass,
      List<String> files,
      BuildLog log)
      throws IOException {
    if (mainClass == null) {
      throw new K8sciException(
          jar
              + " has BOOT-INF/ but its manifest has no Main-Class (the Spring Boot launcher): it"
              + " was not repackaged completely. Run `mvn clean package` so spring-boot:repackage"
              + " runs before k8sci:image.");
    }
    if (zip.getEntry(mainClass.replace('.', '/') + ".class") == null) {
      throw new K8sciException(
          jar
              + ": the manifest's Main-Class "
              + mainClass
              + " is not in the jar; expected the Spring Boot launcher ("
              + LAUNCHER_3_2
              + " since Boot 3.2, "
              + LAUNCHER_LEGACY
              + " before). Repackage the jar with spring-boot:repackage.");
    }
    String startClass = trimToNull(attributes.getValue("Start-Class"));
    if (startClass == null) {
      throw new K8sciException(
          jar
              + ": the manifest has no Start-Class, so the Spring Boot launcher "
              + mainClass
              + " would not know which application to start. Set <mainClass> of"
              + " spring-boot-maven-plugin and repackage.");
    }

    List<String> dropped = new ArrayList<>();
    List<String> kept = new ArrayList<>();
    for (String file : files) {
      if (file.startsWith(BOOT_LIB) && isDevtools(file.substring(BOOT_LIB.length()))) {
        dropped.add(file);
        log.info("Dropped " + file + " from the image: devtools is for local development.");
      } else {
        kept.add(file);
      }
    }

    List<String> classpath = List.of();
    ZipEntry classpathEntry = zip.getEntry(CLASSPATH_INDEX);
    if (classpathEntry != null) {
      classpath = new ArrayList<>();
      for (String entry : parseClasspathIndex(jar, read(zip, classpathEntry))) {
        if (!dropped.contains(entry)) {
          classpath.add(entry);
        }
      }
    }

    ZipEntry layersEntry = zip.getEntry(LAYERS_INDEX);
    List<Layer> layers =
        layersEntry != null
            ? assignIndexed(jar, parseLayersIndex(jar, read(zip, layersEntry)), kept)
            : assignByRule(kept);
    return new BootJar(
        jar,
        Kind.SPRING_BOOT,
        mainClass,
        Optional.of(startClass),
        Optional.ofNullable(trimToNull(attributes.getValue("Spring-Boot-Version"))),
        layersEntry != null,
        layers,
        classpath,
        dropped,
        List.of());
  }

  /**
   * Parses {@code BOOT-INF/layers.idx}: layer names in order, each with its entries (an entry
   * ending in {@code /} is a prefix).
   */
  static Map<String, List<String>> parseLayersIndex(Path jar, String content) {
    Map<String, List<String>> layers = new LinkedHashMap<>();
    List<String> current = null;
    String[] lines = content.split("\r?\n");
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      if (line.isBlank()) {
        continue;
      }
      Matcher layer = LAYER_LINE.matcher(line);
      Matcher entry = ENTRY_LINE.matcher(line);
      if (layer.matches()) {
        if (layers.containsKey(layer.group(1))) {
          throw malformedIndex(jar, i + 1, line, "layer \"" + layer.group(1) + "\" appears twice");
        }
        current = new ArrayList<>();
        layers.put(layer.group(1), current);
      } else if (entry.matches()) {
        if (current == null) {
          throw malformedIndex(jar, i + 1, line, "an entry before the first layer");
        }
        current.add(entry.group(1));
      } else {
        throw malformedIndex(
            jar, i + 1, line, "expected `- \"layer\":` or `  - \"entry\"` (Spring Boot format)");
      }
    }
    if (layers.isEmpty()) {
      throw malformedIndex(jar, 1, "", "no layer defined");
    }
    return layers;
  }

  private static K8sciException malformedIndex(Path jar, int line, String text, String problem) {
    return new K8sciException(
        jar
            + "!/"
            + LAYERS_INDEX
            + " line "
            + line
            + " ("
            + text.strip()
            + "): "
            + problem
            + ". Repackage the jar with spring-boot:repackage (and check the layers"
            + " configuration of spring-boot-maven-plugin).");
  }

  /**
   * Puts every file entry in the first layer (in index order) that lists it or a prefix of it, the
   * rule Spring Boot's own {@code layertools extract} applies.
   */
  private static List<Layer> assignIndexed(
      Path jar, Map<String, List<String>> index, List<String> files) {
    Map<String, List<String>> assigned = new LinkedHashMap<>();
    index.keySet().forEach(name -> assigned.put(name, new ArrayList<>()));
    for (String file : files) {
      String layer = null;
      search:
      for (Map.Entry<String, List<String>> candidate : index.entrySet()) {
        for (String pattern : candidate.getValue()) {
          if (pattern.equals(file) || (pattern.endsWith("/") && file.startsWith(pattern))) {
            layer = candidate.getKey();
            break search;
          }
        }
      }
      if (layer == null) {
        throw new K8sciException(
            jar
                + ": the entry "
                + file
                + " belongs to no layer of "
                + LAYERS_INDEX
                + ". Repackage the jar with spring-boot:repackage so the index matches its"
                + " content.");
      }
      assigned.get(layer).add(file);
    }
    List<Layer> layers = new ArrayList<>();
    assigned.forEach((name, entries) -> layers.add(new Layer(name, entries)));
    return layers;
  }

  /** The four layers Spring Boot would index, for a jar repackaged without {@code layers.idx}. */
  private static List<Layer> assignByRule(List<String> files) {
    List<String> dependencies = new ArrayList<>();
    List<String> loader = new ArrayList<>();
    List<String> snapshots = new ArrayList<>();
    List<String> application = new ArrayList<>();
    for (String file : files) {
      if (file.startsWith(BOOT_LIB)) {
        (file.substring(BOOT_LIB.length()).contains("-SNAPSHOT") ? snapshots : dependencies)
            .add(file);
      } else if (file.startsWith(LOADER_PACKAGE)) {
        loader.add(file);
      } else {
        application.add(file);
      }
    }
    return List.of(
        new Layer(DEPENDENCIES, dependencies),
        new Layer(SPRING_BOOT_LOADER, loader),
        new Layer(SNAPSHOT_DEPENDENCIES, snapshots),
        new Layer(APPLICATION, application));
  }

  static List<String> parseClasspathIndex(Path jar, String content) {
    List<String> entries = new ArrayList<>();
    String[] lines = content.split("\r?\n");
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty()) {
        continue;
      }
      if (!line.startsWith("- \"") || !line.endsWith("\"")) {
        throw new K8sciException(
            jar
                + "!/"
                + CLASSPATH_INDEX
                + " line "
                + (i + 1)
                + " ("
                + line
                + "): expected `- \"BOOT-INF/lib/name.jar\"`. Repackage the jar with"
                + " spring-boot:repackage.");
      }
      entries.add(line.substring(3, line.length() - 1));
    }
    return entries;
  }

  /** Spring Boot's classpath.idx format. */
  static String formatClasspathIndex(List<String> entries) {
    StringBuilder out = new StringBuilder();
    entries.forEach(e -> out.append("- \"").append(e).append("\"\n"));
    return out.toString();
  }

  static boolean isDevtools(String fileName) {
    return fileName.startsWith("spring-boot-devtools-") && fileName.endsWith(".jar");
  }

  private static void checkEntryName(Path jar, String name) {
    if (name.startsWith("/")
        || name.contains("\\")
        || name.equals("..")
        || name.startsWith("../")
        || name.contains("/../")
        || name.endsWith("/..")) {
      throw new K8sciException(
          jar + " contains the entry \"" + name + "\" that points outside the jar; refusing it.");
    }
  }

  private static String read(ZipFile zip, ZipEntry entry) throws IOException {
    try (InputStream in = zip.getInputStream(entry)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static String trimToNull(String value) {
    return value == null || value.isBlank() ? null : value.strip();
  }

  public Path path() {
    return path;
  }

  public Kind kind() {
    return kind;
  }

  /** The manifest's {@code Main-Class}: the Spring Boot launcher, or a plain jar's main class. */
  public String mainClass() {
    return mainClass;
  }

  /** The application's class ({@code Start-Class}) of a Boot jar. */
  public Optional<String> startClass() {
    return startClass;
  }

  /** The manifest's {@code Spring-Boot-Version}, when present. */
  public Optional<String> springBootVersion() {
    return springBootVersion;
  }

  /** Whether the layers come from {@code BOOT-INF/layers.idx} (false: assigned by rule). */
  public boolean layersIndexed() {
    return layersIndexed;
  }

  /**
   * The layers in index order, possibly empty ones. Entries are jar entry names for a Boot jar; for
   * a plain jar they are file names (the dependency jars, or the jar itself for {@code
   * application}).
   */
  public List<Layer> layers() {
    return layers;
  }

  /** The nested-jar order from {@code BOOT-INF/classpath.idx}, without dropped entries. */
  public List<String> classpathIndex() {
    return classpathIndex;
  }

  /** Entries left out of the image (devtools). */
  public List<String> droppedEntries() {
    return droppedEntries;
  }

  /** The runtime dependencies of a plain jar, without devtools; empty for a Boot jar. */
  public List<Path> dependencies() {
    return dependencies;
  }
}
