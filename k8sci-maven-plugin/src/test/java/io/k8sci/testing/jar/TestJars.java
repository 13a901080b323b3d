package io.k8sci.testing.jar;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;

/**
 * Compiles small Java programs and packs them as plain or Spring Boot-shaped jars, so tests can
 * build the applications they need instead of checking binaries in.
 */
public final class TestJars {

  private TestJars() {}

  /**
   * Compiles {@code sources} (fully qualified class name → source; {@code module-info} for a module
   * descriptor) with the running JDK's compiler into {@code output} and returns it.
   *
   * @param options extra javac options, e.g. {@code --module-path}
   */
  public static Path compile(Map<String, String> sources, Path output, String... options) {
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    if (compiler == null) {
      throw new IllegalStateException("tests need a JDK (no system Java compiler)");
    }
    List<JavaFileObject> units = new ArrayList<>();
    sources.forEach(
        (name, code) ->
            units.add(
                new SimpleJavaFileObject(
                    URI.create("string:///" + name.replace('.', '/') + ".java"),
                    JavaFileObject.Kind.SOURCE) {
                  @Override
                  public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                    return code;
                  }
                }));
    List<String> args = new ArrayList<>(List.of("-d", output.toString(), "--release", "17"));
    args.addAll(List.of(options));
    StringWriter diagnostics = new StringWriter();
    try {
      Files.createDirectories(output);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    boolean ok = compiler.getTask(diagnostics, null, null, args, null, units).call();
    if (!ok) {
      throw new IllegalStateException("compilation failed:\n" + diagnostics);
    }
    return output;
  }

  /** Packs the files under {@code directory} into {@code jar}, with {@code Main-Class} if given. */
  public static Path jar(Path directory, Path jar, Map<String, String> manifestAttributes) {
    return jar(Map.of("", directory), Map.of(), jar, manifestAttributes);
  }

  /**
   * Packs a Spring Boot-shaped jar: {@code classes} under {@code BOOT-INF/classes/}, each nested
   * jar under {@code BOOT-INF/lib/}, a manifest with {@code Spring-Boot-Version}.
   */
  public static Path bootJar(Path classes, List<Path> nestedJars, Path jar) {
    Map<String, Path> files = new java.util.LinkedHashMap<>();
    nestedJars.forEach(j -> files.put("BOOT-INF/lib/" + j.getFileName(), j));
    return jar(
        Map.of("BOOT-INF/classes/", classes),
        files,
        jar,
        Map.of(
            "Main-Class", "org.springframework.boot.loader.launch.JarLauncher",
            "Start-Class", "Main",
            "Spring-Boot-Version", "3.3.0",
            "Spring-Boot-Classes", "BOOT-INF/classes/",
            "Spring-Boot-Lib", "BOOT-INF/lib/"));
  }

  private static Path jar(
      Map<String, Path> directories,
      Map<String, Path> files,
      Path jar,
      Map<String, String> manifestAttributes) {
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifestAttributes.forEach((k, v) -> manifest.getMainAttributes().putValue(k, v));
    try {
      Files.createDirectories(jar.toAbsolutePath().getParent());
      try (OutputStream out = Files.newOutputStream(jar);
          JarOutputStream zip = new JarOutputStream(out, manifest)) {
        for (Map.Entry<String, Path> dir : directories.entrySet()) {
          List<Path> paths;
          try (Stream<Path> walk = Files.walk(dir.getValue())) {
            paths = walk.filter(Files::isRegularFile).sorted().toList();
          }
          for (Path p : paths) {
            String name = dir.getKey() + dir.getValue().relativize(p).toString().replace('\\', '/');
            zip.putNextEntry(new JarEntry(name));
            Files.copy(p, zip);
            zip.closeEntry();
          }
        }
        for (Map.Entry<String, Path> f : files.entrySet()) {
          zip.putNextEntry(new JarEntry(f.getKey()));
          Files.copy(f.getValue(), zip);
          zip.closeEntry();
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + jar, e);
    }
    return jar;
  }
}
