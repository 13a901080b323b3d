package io.k8sci.testing.image;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Builds synthetic jars for tests: Spring Boot repackaged layouts (with or without {@code
 * layers.idx}, any launcher), plain executable jars, and thin jars that were never repackaged.
 * Entries get a fixed time so the same builder calls always give the same bytes.
 */
public final class TestJars {

  public static final String LAUNCHER_3_2 = "org.springframework.boot.loader.launch.JarLauncher";
  public static final String LAUNCHER_LEGACY = "org.springframework.boot.loader.JarLauncher";

  /** The layers.idx Spring Boot writes by default. */
  public static final String DEFAULT_LAYERS_INDEX =
      """
      - "dependencies":
        - "BOOT-INF/lib/"
      - "spring-boot-loader":
        - "org/"
      - "snapshot-dependencies":
      - "application":
        - "BOOT-INF/classes/"
        - "BOOT-INF/classpath.idx"
        - "BOOT-INF/layers.idx"
        - "META-INF/"
      """;

  private static final long ENTRY_TIME = 1_600_000_000_000L;

  private TestJars() {}

  public static Boot boot() {
    return new Boot();
  }

  /** A Spring Boot repackaged jar. */
  public static final class Boot {
    private String mainClass = LAUNCHER_3_2;
    private String startClass = "com.example.demo.DemoApplication";
    private String layersIndex = DEFAULT_LAYERS_INDEX;
    private boolean classpathIndex = true;
    private final Map<String, byte[]> classes = new LinkedHashMap<>();
    private final List<String> libs = new ArrayList<>();
    private final Map<String, byte[]> extra = new LinkedHashMap<>();

    private Boot() {
      classes.put("com/example/demo/DemoApplication.class", bytes("class v1"));
      classes.put("application.properties", bytes("server.port=8080\n"));
    }

    public Boot launcher(String launcher) {
      this.mainClass = launcher;
      return this;
    }

    public Boot startClass(String startClass) {
      this.startClass = startClass;
      return this;
    }

    /** {@code null}: no layers.idx in the jar. */
    public Boot layersIndex(String index) {
      this.layersIndex = index;
      return this;
    }

    public Boot classpathIndex(boolean present) {
      this.classpathIndex = present;
      return this;
    }

    /** A file under BOOT-INF/classes/ (replaces one of the same name). */
    public Boot classFile(String path, String content) {
      classes.put(path, bytes(content));
      return this;
    }

    /** A nested jar under BOOT-INF/lib/. */
    public Boot lib(String fileName) {
      libs.add(fileName);
      return this;
    }

    /** Any other entry. */
    public Boot entry(String name, String content) {
      extra.put(name, bytes(content));
      return this;
    }

    public Path writeTo(Path jar) {
      Manifest manifest = new Manifest();
      Attributes attributes = manifest.getMainAttributes();
      attributes.put(Attributes.Name.MANIFEST_VERSION, "1.0");
      if (mainClass != null) {
        attributes.put(Attributes.Name.MAIN_CLASS, mainClass);
      }
      if (startClass != null) {
        attributes.putValue("Start-Class", startClass);
      }
      attributes.putValue("Spring-Boot-Version", "3.3.5");
      attributes.putValue("Spring-Boot-Classes", "BOOT-INF/classes/");
      attributes.putValue("Spring-Boot-Lib", "BOOT-INF/lib/");
      if (classpathIndex) {
        attributes.putValue("Spring-Boot-Classpath-Index", "BOOT-INF/classpath.idx");
      }
      if (layersIndex != null) {
        attributes.putValue("Spring-Boot-Layers-Index", "BOOT-INF/layers.idx");
      }
      Map<String, byte[]> entries = new LinkedHashMap<>();
      String loaderPackage =
          mainClass != null && mainClass.contains(".launch.")
              ? "org/springframework/boot/loader/launch/"
              : "org/springframework/boot/loader/";
      if (mainClass != null && mainClass.startsWith("org.springframework.boot.loader.")) {
        entries.put(mainClass.replace('.', '/') + ".class", bytes("launcher"));
        entries.put(loaderPackage + "Archive.class", bytes("archive"));
      }
      classes.forEach((path, content) -> entries.put("BOOT-INF/classes/" + path, content));
      for (String lib : libs) {
        entries.put("BOOT-INF/lib/" + lib, nestedJar(lib));
      }
      if (classpathIndex) {
        StringBuilder index = new StringBuilder();
        libs.forEach(lib -> index.append("- \"BOOT-INF/lib/").append(lib).append("\"\n"));
        entries.put("BOOT-INF/classpath.idx", bytes(index.toString()));
      }
      if (layersIndex != null) {
        entries.put("BOOT-INF/layers.idx", bytes(layersIndex));
      }
      entries.putAll(extra);
      return write(jar, manifest, entries);
    }
  }

  /** A plain executable jar (Main-Class, no BOOT-INF). */
  public static Path plain(Path jar, String mainClass) {
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, mainClass);
    return write(
        jar, manifest, Map.of(mainClass.replace('.', '/') + ".class", bytes("main " + mainClass)));
  }

  /** A jar as maven-jar-plugin leaves it before spring-boot:repackage: no Main-Class. */
  public static Path thin(Path jar) {
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    return write(jar, manifest, Map.of("com/example/demo/DemoApplication.class", bytes("thin")));
  }

  /** A small jar file standing for a dependency. */
  public static Path library(Path jar) {
    try {
      Files.createDirectories(jar.toAbsolutePath().getParent());
      Files.write(jar, nestedJar(jar.getFileName().toString()));
      return jar;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path write(Path jar, Manifest manifest, Map<String, byte[]> entries) {
    try {
      Files.createDirectories(jar.toAbsolutePath().getParent());
      try (OutputStream file = Files.newOutputStream(jar);
          JarOutputStream out = new JarOutputStream(file)) {
        ZipEntry meta = new ZipEntry("META-INF/");
        meta.setTime(ENTRY_TIME);
        out.putNextEntry(meta);
        out.closeEntry();
        ZipEntry manifestEntry = new ZipEntry("META-INF/MANIFEST.MF");
        manifestEntry.setTime(ENTRY_TIME);
        out.putNextEntry(manifestEntry);
        manifest.write(out);
        out.closeEntry();
        List<String> directories = new ArrayList<>();
        for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
          String name = entry.getKey();
          for (int i = name.indexOf('/'); i > 0; i = name.indexOf('/', i + 1)) {
            String directory = name.substring(0, i + 1);
            if (!directories.contains(directory) && !directory.equals("META-INF/")) {
              directories.add(directory);
              ZipEntry dir = new ZipEntry(directory);
              dir.setTime(ENTRY_TIME);
              out.putNextEntry(dir);
              out.closeEntry();
            }
          }
          ZipEntry zipEntry = new ZipEntry(name);
          zipEntry.setTime(ENTRY_TIME);
          out.putNextEntry(zipEntry);
          out.write(entry.getValue());
          out.closeEntry();
        }
      }
      return jar;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] nestedJar(String name) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (ZipOutputStream out = new ZipOutputStream(bytes)) {
        ZipEntry entry = new ZipEntry("META-INF/" + name + ".txt");
        entry.setTime(ENTRY_TIME);
        out.putNextEntry(entry);
        out.write(bytes(name));
        out.closeEntry();
      }
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] bytes(String content) {
    return content.getBytes(StandardCharsets.UTF_8);
  }
}
