package io.k8sci.image;

import io.k8sci.K8sciException;
import io.k8sci.log.BuildLog;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Finds the JDK modules an application needs, with {@code jdeps}, so that the linked runtime holds
 * what the application uses and nothing more.
 *
 * <p>jdeps sees only static references. Spring Boot resolves much by reflection (JMX, JNDI, the
 * Tomcat/Netty TLS stack, AOT repositories that load {@code javax.lang.model}), so for a Boot jar a
 * baseline of modules known to be needed is added ({@link #SPRING_BOOT_BASELINE}). A Boot (or Boot
 * war) jar is unpacked to a temporary directory first: jdeps cannot look inside nested jars.
 *
 * <p>The result is cached by the content of the analysed files: jdeps over a hundred jars takes
 * several seconds, and most builds change only the application's own classes.
 */
final class JdepsModuleAnalysis {

  /**
   * Modules a Spring Boot web application commonly needs beyond what jdeps finds (see REFERENCE: "A
   * Java image from scratch"); {@code java.compiler} because Spring Data's AOT repository support
   * loads {@code javax.lang.model.SourceVersion}.
   */
  static final List<String> SPRING_BOOT_BASELINE =
      List.of(
          "java.base",
          "java.compiler",
          "java.desktop",
          "java.instrument",
          "java.logging",
          "java.management",
          "java.naming",
          "java.net.http",
          "java.security.jgss",
          "java.sql",
          "java.xml",
          "jdk.crypto.ec",
          "jdk.unsupported",
          "jdk.zipfs");

  /** Bump when the analysis changes in a way that invalidates cached results. */
  private static final String CACHE_FORMAT = "jdeps-v1";

  private static final Pattern MODULE_NAME =
      Pattern.compile("[A-Za-z_$][\\w$]*(\\.[A-Za-z_$][\\w$]*)*");

  /** Outcome: the modules jdeps found, and whether any input was a Spring Boot jar. */
  record Result(Set<String> modules, boolean springBoot, boolean cached) {}

  private JdepsModuleAnalysis() {}

  static Result analyse(
      JdkInstallation jdk, List<Path> applicationJars, Path cacheDirectory, BuildLog log) {
    for (Path p : applicationJars) {
      if (!Files.exists(p)) {
        throw new K8sciException(
            "Application file "
                + p
                + " (applicationJars) does not exist: build the application jar before the image"
                + " (run the 'package' phase first).");
      }
    }
    if (applicationJars.isEmpty()) {
      return new Result(Set.of("java.base"), false, false);
    }
    Path cacheFile = null;
    if (cacheDirectory != null) {
      String key = cacheKey(jdk, applicationJars);
      cacheFile = cacheDirectory.resolve("jdeps").resolve(key + ".txt");
      Result cached = readCache(cacheFile);
      if (cached != null) {
        log.debug("jdeps result reused from " + cacheFile);
        return cached;
      }
    }
    Path work;
    try {
      work = Files.createTempDirectory("k8sci-jdeps-");
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot create a temporary directory for jdeps", e);
    }
    try {
      List<Path> roots = new ArrayList<>();
      boolean springBoot = false;
      int index = 0;
      for (Path input : applicationJars) {
        if (Files.isDirectory(input)) {
          roots.add(input);
        } else if (isArchive(input)) {
          Path unpacked = work.resolve("app-" + index++);
          if (unpackNestedArchive(input, unpacked, roots)) {
            springBoot = true;
          } else {
            roots.add(input);
          }
        } else {
          throw new K8sciException(
              "Application file " + input + " (applicationJars) is neither a jar nor a directory.");
        }
      }
      long start = System.nanoTime();
      Set<String> modules = runJdeps(jdk, roots, work, log);
      log.debug(
          String.format(
              java.util.Locale.ROOT,
              "jdeps analysed %d jars/directories in %.1f s",
              roots.size(),
              (System.nanoTime() - start) / 1e9));
      Result result = new Result(modules, springBoot, false);
      if (cacheFile != null) {
        writeCache(cacheFile, result);
      }
      return result;
    } finally {
      deleteRecursively(work);
    }
  }

  private static boolean isArchive(Path p) {
    String n = p.getFileName().toString().toLowerCase();
    return n.endsWith(".jar") || n.endsWith(".war") || n.endsWith(".zip");
  }

  /**
   * If {@code archive} is a Spring Boot jar or war, unpacks its classes and nested jars under
   * {@code target}, adds them to {@code roots} and returns true; otherwise leaves it alone.
   */
  static boolean unpackNestedArchive(Path archive, Path target, List<Path> roots) {
    try (JarFile jar = new JarFile(archive.toFile())) {
      Manifest manifest = jar.getManifest();
      boolean bootManifest =
          manifest != null
              && (manifest.getMainAttributes().getValue("Spring-Boot-Version") != null
                  || manifest.getMainAttributes().getValue("Spring-Boot-Classes") != null);
      boolean bootLayout =
          jar.getEntry("BOOT-INF/classes/") != null
              || jar.stream().anyMatch(e -> e.getName().startsWith("BOOT-INF/"));
      boolean warLayout =
          bootManifest && jar.stream().anyMatch(e -> e.getName().startsWith("WEB-INF/"));
      if (!bootLayout && !warLayout) {
        return false;
      }
      String classesPrefix = bootLayout ? "BOOT-INF/classes/" : "WEB-INF/classes/";
      List<String> libPrefixes =
          bootLayout ? List.of("BOOT-INF/lib/") : List.of("WEB-INF/lib/", "WEB-INF/lib-provided/");
      Path classes = target.resolve("classes");
      Path lib = target.resolve("lib");
      Files.createDirectories(classes);
      Files.createDirectories(lib);
      int nested = 0;
      for (ZipEntry entry : jar.stream().toList()) {
        String name = entry.getName();
        if (entry.isDirectory()) {
          continue;
        }
        if (name.startsWith(classesPrefix)) {
          Path out = classes.resolve(name.substring(classesPrefix.length())).normalize();
          if (!out.startsWith(classes)) {
            throw new K8sciException(
                "Entry '" + name + "' of " + archive + " points outside the archive; refusing it.");
          }
          Files.createDirectories(out.getParent());
          try (InputStream in = jar.getInputStream(entry)) {
            Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
          }
        } else {
          for (String prefix : libPrefixes) {
            if (name.startsWith(prefix) && name.endsWith(".jar")) {
              String fileName = Path.of(name).getFileName().toString();
              Path out = lib.resolve(nested++ + "-" + fileName);
              try (InputStream in = jar.getInputStream(entry)) {
                Files.copy(in, out);
              }
              break;
            }
          }
        }
      }
      roots.add(classes);
      try (Stream<Path> jars = Files.list(lib)) {
        jars.sorted().forEach(roots::add);
      }
      return true;
    } catch (IOException e) {
      throw new K8sciException(
          "Cannot read " + archive + " (applicationJars) as a jar: " + e.getMessage(), e);
    }
  }

  private static Set<String> runJdeps(
      JdkInstallation jdk, List<Path> roots, Path work, BuildLog log) {
    JdkInstallation.ToolResult result = jdeps(jdk, roots);
    if (result.exitCode() != 0 && mentionsModuleResolution(result.combinedOutput())) {
      // A modular jar whose 'requires' are not all present makes jdeps fail even with
      // --ignore-missing-deps. Analyse such jars as plain class-path jars instead.
      log.debug(
          "jdeps could not resolve the modules of modular jars, retrying them as plain jars: "
              + firstLine(result.combinedOutput()));
      List<Path> plain = withoutModuleDescriptors(roots, work);
      result = jdeps(jdk, plain);
    }
    if (result.exitCode() != 0) {
      throw new K8sciException(
          "jdeps failed (exit "
              + result.exitCode()
              + ") while finding the JDK modules the application needs. Its output:\n"
              + result.combinedOutput()
              + "\nWorkaround: list the modules yourself with additionalModules, or use a base image.");
    }
    return parseModuleList(result.stdout());
  }

  private static JdkInstallation.ToolResult jdeps(JdkInstallation jdk, List<Path> roots) {
    List<String> args = new ArrayList<>();
    args.add("--ignore-missing-deps");
    args.add("-q");
    args.add("--print-module-deps");
    args.add("--multi-release");
    args.add(Integer.toString(jdk.featureVersion()));
    args.add("--class-path");
    args.add(roots.stream().map(Path::toString).collect(Collectors.joining(":")));
    roots.forEach(r -> args.add(r.toString()));
    return jdk.runTool("jdeps", args, true);
  }

  private static boolean mentionsModuleResolution(String output) {
    return output.contains("FindException")
        || output.contains("ResolutionException")
        || output.contains("required by");
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /** Copies every jar that has a module descriptor to {@code dir} without that descriptor. */
  private static List<Path> withoutModuleDescriptors(List<Path> roots, Path work) {
    Path dir = work.resolve("plain");
    List<Path> out = new ArrayList<>();
    try {
      Files.createDirectories(dir);
      int i = 0;
      for (Path root : roots) {
        if (Files.isRegularFile(root) && hasModuleDescriptor(root)) {
          Path copy = dir.resolve(i++ + "-" + root.getFileName());
          try (ZipInputStream in = new ZipInputStream(Files.newInputStream(root));
              ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(copy))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
              if (isModuleDescriptor(e.getName())) {
                continue;
              }
              zip.putNextEntry(new ZipEntry(e.getName()));
              in.transferTo(zip);
              zip.closeEntry();
            }
          }
          out.add(copy);
        } else if (Files.isDirectory(root) && root.startsWith(work)) {
          // only our own unpacked copies are changed, never the caller's directories
          Files.deleteIfExists(root.resolve("module-info.class"));
          out.add(root);
        } else {
          out.add(root);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot prepare jars for jdeps under " + dir, e);
    }
    return out;
  }

  private static boolean hasModuleDescriptor(Path jar) throws IOException {
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      return zip.stream().anyMatch(e -> isModuleDescriptor(e.getName()));
    }
  }

  private static boolean isModuleDescriptor(String entryName) {
    return entryName.equals("module-info.class")
        || (entryName.startsWith("META-INF/versions/") && entryName.endsWith("/module-info.class"));
  }

  /** Parses jdeps {@code --print-module-deps} output: one comma-separated line of module names. */
  static Set<String> parseModuleList(String output) {
    Set<String> modules = new TreeSet<>();
    modules.add("java.base");
    for (String line : output.split("\\R")) {
      String t = line.strip();
      if (t.isEmpty()) {
        continue;
      }
      for (String m : t.split(",")) {
        String name = m.strip();
        if (!MODULE_NAME.matcher(name).matches()) {
          throw new K8sciException(
              "Unexpected jdeps output (expected a comma-separated module list): " + output);
        }
        modules.add(name);
      }
    }
    return modules;
  }

  private static String cacheKey(JdkInstallation jdk, List<Path> inputs) {
    MessageDigest sha = sha256();
    update(sha, CACHE_FORMAT);
    update(sha, jdk.home().toString());
    update(sha, jdk.version());
    for (Path input : inputs) {
      update(sha, "input");
      if (Files.isDirectory(input)) {
        try (Stream<Path> files = Files.walk(input)) {
          for (Path f :
              files
                  .filter(Files::isRegularFile)
                  .sorted(Comparator.comparing(Path::toString))
                  .toList()) {
            update(sha, input.relativize(f).toString());
            digestFile(sha, f);
          }
        } catch (IOException e) {
          throw new UncheckedIOException("Cannot read " + input, e);
        }
      } else {
        digestFile(sha, input);
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  private static void digestFile(MessageDigest sha, Path f) {
    byte[] buffer = new byte[64 * 1024];
    try (InputStream in = Files.newInputStream(f)) {
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        sha.update(buffer, 0, n);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + f, e);
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static void update(MessageDigest sha, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    sha.update(Integer.toString(bytes.length).getBytes(StandardCharsets.UTF_8));
    sha.update((byte) ':');
    sha.update(bytes);
  }

  private static Result readCache(Path file) {
    if (!Files.isRegularFile(file)) {
      return null;
    }
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      if (lines.size() != 2 || !lines.get(0).startsWith("spring-boot=")) {
        return null;
      }
      boolean boot = Boolean.parseBoolean(lines.get(0).substring("spring-boot=".length()));
      return new Result(parseModuleList(lines.get(1)), boot, true);
    } catch (IOException | K8sciException e) {
      return null; // unreadable cache entry: recompute
    }
  }

  private static void writeCache(Path file, Result result) {
    try {
      Files.createDirectories(file.getParent());
      Path tmp = Files.createTempFile(file.getParent(), ".tmp-", ".txt");
      try (OutputStream out = Files.newOutputStream(tmp)) {
        out.write(
            ("spring-boot="
                    + result.springBoot()
                    + "\n"
                    + String.join(",", result.modules())
                    + "\n")
                .getBytes(StandardCharsets.UTF_8));
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      // a cache that cannot be written only costs time on the next build
    }
  }

  static void deleteRecursively(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files
          .sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException ignored) {
                  // best effort for temporary files
                }
              });
    } catch (IOException ignored) {
      // best effort
    }
  }
}
