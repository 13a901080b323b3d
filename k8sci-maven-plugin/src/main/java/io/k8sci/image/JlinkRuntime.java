package io.k8sci.image;

import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.FileEntry;
import com.google.cloud.tools.jib.api.buildplan.FilePermissions;
import io.k8sci.K8sciException;
import io.k8sci.log.BuildLog;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * Makes the Java runtime of an image built {@code from = jlink}: a runtime linked from the JDK that
 * runs the build, holding only the modules the application needs, plus exactly the host's shared
 * libraries it loads, on an empty base.
 *
 * <p>Why: such an image needs no base image to pull, so it builds on air-gapped sites whose CI
 * cannot reach public registries, and it carries no OS packages to patch. The price is that the
 * image's Java is the build's JDK (its version and CPU architecture).
 *
 * <p>The linked runtime and the copied libraries are cached under {@link
 * Builder#cacheDirectory(Path)}, keyed by the JDK (path and version), the module set and the jlink
 * options, so a second build with the same inputs only re-reads the cache. Entries are built in a
 * temporary directory and moved into place atomically: concurrent builds (also in different
 * processes) never see a half-written runtime. Instances are single-use; the class is thread-safe.
 *
 * <pre>{@code
 * JavaRuntime runtime = JlinkRuntime.builder()
 *     .applicationJars(List.of(bootJar))
 *     .cacheDirectory(cache)
 *     .log(log)
 *     .build()
 *     .create();
 * }</pre>
 */
public final class JlinkRuntime {

  /** Where the runtime is installed in the image. */
  public static final String INSTALL_DIRECTORY = "/opt/java";

  /** The user (uid/gid 1000) named in the image's {@code /etc/passwd}, besides root. */
  public static final String NON_ROOT_USER = "k8sci";

  public static final int NON_ROOT_UID = 1000;

  /** Layer names, as they appear in Jib's logs. */
  public static final String RUNTIME_LAYER = "jre";

  public static final String OS_LAYER = "os";

  /** Bump when the cache layout or the files put into a runtime change. */
  private static final String CACHE_FORMAT = "jlink-v1";

  private static final Instant MODIFICATION_TIME = FileEntriesLayer.DEFAULT_MODIFICATION_TIME;

  private static final FilePermissions EXECUTABLE = FilePermissions.fromOctalString("755");
  private static final FilePermissions REGULAR = FilePermissions.fromOctalString("644");
  private static final FilePermissions DIRECTORY = FilePermissions.fromOctalString("755");

  /** Serializes builds of the same cache entry inside this JVM ({@code mvn -T}). */
  private static final Map<Path, ReentrantLock> BUILD_LOCKS = new ConcurrentHashMap<>();

  private final Path jdkHome;
  private final List<Path> applicationJars;
  private final Set<String> additionalModules;
  private final Path cacheDirectory;
  private final BuildLog log;

  private JlinkRuntime(Builder b) {
    this.jdkHome = b.jdkHome != null ? b.jdkHome : Path.of(System.getProperty("java.home"));
    this.applicationJars = List.copyOf(b.applicationJars);
    this.additionalModules = Set.copyOf(b.additionalModules);
    this.cacheDirectory = b.cacheDirectory != null ? b.cacheDirectory : defaultCacheDirectory();
    this.log = b.log != null ? b.log : BuildLog.silent();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The cache used when none is given: {@code $XDG_CACHE_HOME/k8sci} or {@code ~/.cache/k8sci}. */
  static Path defaultCacheDirectory() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base =
        xdg != null && !xdg.isBlank()
            ? Path.of(xdg)
            : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("k8sci");
  }

  /**
   * Computes the modules, links (or reuses) the runtime and returns its layers.
   *
   * @throws K8sciException when the JDK cannot link (a JRE, no jmods, not Linux), jdeps or jlink
   *     fail, ldd is missing, or a module in {@code additionalModules} does not exist
   */
  public JavaRuntime create() {
    JdkInstallation jdk = JdkInstallation.inspect(jdkHome);
    Path cache = absolute(cacheDirectory);
    Set<String> modules = modules(jdk, cache);

    List<String> options = jlinkOptions(jdk);
    String key = cacheKey(jdk, modules, options);
    Path entry = cache.resolve("jlink").resolve(key);
    boolean cached = Files.isDirectory(entry);
    Duration took = Duration.ZERO;
    if (!cached) {
      ReentrantLock lock = BUILD_LOCKS.computeIfAbsent(entry, k -> new ReentrantLock());
      lock.lock();
      try {
        cached = Files.isDirectory(entry);
        if (!cached) {
          Instant start = Instant.now();
          build(jdk, modules, options, entry);
          took = Duration.between(start, Instant.now());
        }
      } finally {
        lock.unlock();
      }
    }

    List<FileEntry> runtimeEntries = new ArrayList<>();
    List<FileEntry> osEntries = new ArrayList<>();
    long runtimeBytes = entries(entry.resolve("runtime"), INSTALL_DIRECTORY, runtimeEntries);
    long osBytes = entries(entry.resolve("os"), "/", osEntries);
    List<FileEntriesLayer> layers =
        List.of(
            FileEntriesLayer.builder().setName(RUNTIME_LAYER).setEntries(runtimeEntries).build(),
            FileEntriesLayer.builder().setName(OS_LAYER).setEntries(osEntries).build());
    long total = runtimeBytes + osBytes;
    Set<String> linked = linkedModules(entry.resolve("runtime"), modules);
    log.info(
        String.format(
            Locale.ROOT,
            "jlink runtime: %d modules, %s incl. %s of shared libraries (%s)",
            linked.size(),
            megabytes(total),
            megabytes(osBytes),
            cached
                ? "cached"
                : String.format(Locale.ROOT, "linked in %.1f s", took.toMillis() / 1000.0)));
    log.debug("jlink runtime cache entry: " + entry);
    return new JavaRuntime(layers, INSTALL_DIRECTORY + "/bin/java", total, linked);
  }

  /** The modules jlink actually linked (requested ones plus what they require), from 'release'. */
  private static Set<String> linkedModules(Path runtime, Set<String> requested) {
    Path release = runtime.resolve("release");
    try (InputStream in = Files.newInputStream(release)) {
      Properties p = new Properties();
      p.load(in);
      String value = p.getProperty("MODULES", "").replace("\"", "").strip();
      if (value.isEmpty()) {
        return requested;
      }
      return new TreeSet<>(List.of(value.split("\\s+")));
    } catch (IOException e) {
      return requested;
    }
  }

  /** The modules that {@link #create()} would link, without linking (for tests and dry runs). */
  Set<String> modules() {
    return modules(JdkInstallation.inspect(jdkHome), absolute(cacheDirectory));
  }

  private Set<String> modules(JdkInstallation jdk, Path cache) {
    for (String m : additionalModules) {
      if (!jdk.linkableModules().contains(m)) {
        throw new K8sciException(
            "Module '"
                + m
                + "' (additionalModules) is not a module of the JDK at "
                + jdk.home()
                + "; its modules are listed by 'java --list-modules'.");
      }
    }
    JdepsModuleAnalysis.Result found =
        JdepsModuleAnalysis.analyse(jdk, applicationJars, cache, log);
    Set<String> modules = new TreeSet<>(found.modules());
    if (found.springBoot()) {
      for (String m : JdepsModuleAnalysis.SPRING_BOOT_BASELINE) {
        if (jdk.linkableModules().contains(m)) {
          modules.add(m);
        } else {
          log.debug("Spring Boot baseline module " + m + " is not in this JDK; skipped");
        }
      }
    }
    modules.addAll(additionalModules);
    Set<String> unknown = new TreeSet<>(modules);
    unknown.removeAll(jdk.linkableModules());
    if (!unknown.isEmpty()) {
      throw new K8sciException(
          "jdeps found that the application needs modules the JDK at "
              + jdk.home()
              + " cannot link: "
              + unknown
              + ". Run the build with the JDK the application is built for.");
    }
    log.debug("jlink modules: " + String.join(" ", modules));
    log.info(
        "jlink runtime: "
            + modules.size()
            + " JDK modules"
            + " requested (jdeps"
            + (found.springBoot() ? " + Spring Boot baseline" : "")
            + (additionalModules.isEmpty() ? "" : " + additionalModules")
            + ")"
            + (found.cached() ? ", analysis cached" : ""));
    return modules;
  }

  /** jlink options; {@code --compress=2} was renamed {@code zip-6} in JDK 21. */
  static List<String> jlinkOptions(JdkInstallation jdk) {
    String compress = jdk.featureVersion() >= 21 ? "--compress=zip-6" : "--compress=2";
    return List.of("--strip-debug", "--no-header-files", "--no-man-pages", compress);
  }

  private static String cacheKey(JdkInstallation jdk, Set<String> modules, List<String> options) {
    MessageDigest sha = JdepsModuleAnalysis.sha256();
    JdepsModuleAnalysis.update(sha, CACHE_FORMAT);
    JdepsModuleAnalysis.update(sha, jdk.home().toString());
    JdepsModuleAnalysis.update(sha, jdk.version());
    JdepsModuleAnalysis.update(sha, System.getProperty("os.arch", ""));
    JdepsModuleAnalysis.update(sha, String.join(",", modules));
    JdepsModuleAnalysis.update(sha, String.join(" ", options));
    return HexFormat.of().formatHex(sha.digest(), 0, 16);
  }

  /** Builds the cache entry in a temporary sibling, then moves it into place atomically. */
  private void build(JdkInstallation jdk, Set<String> modules, List<String> options, Path entry) {
    Path parent = entry.getParent();
    Path tmp;
    try {
      Files.createDirectories(parent);
      removeStaleTemporaryEntries(parent);
      tmp = Files.createTempDirectory(parent, ".tmp-" + entry.getFileName() + "-").toRealPath();
    } catch (IOException e) {
      throw new K8sciException(
          "Cannot write the jlink cache under " + parent + ": " + e.getMessage(), e);
    }
    try {
      Path runtime = tmp.resolve("runtime");
      List<String> args = new ArrayList<>(options);
      args.add("--add-modules");
      args.add(String.join(",", modules));
      args.add("--output");
      args.add(runtime.toString());
      log.debug("jlink " + String.join(" ", args));
      JdkInstallation.ToolResult result = jdk.runTool("jlink", args, false);
      if (result.exitCode() != 0) {
        throw new K8sciException(
            "jlink failed (exit "
                + result.exitCode()
                + ") linking modules "
                + modules
                + " from "
                + jdk.home()
                + ":\n"
                + result.combinedOutput());
      }
      materializeSymlinks(runtime);
      normalizeTree(runtime);

      Path os = tmp.resolve("os");
      SharedLibraries.Collected libraries = SharedLibraries.collect(runtime, log);
      for (Map.Entry<String, Path> lib : libraries.files().entrySet()) {
        Path target = os.resolve(lib.getKey().substring(1));
        Files.createDirectories(target.getParent());
        Files.copy(lib.getValue(), target, StandardCopyOption.COPY_ATTRIBUTES);
      }
      writeOsFiles(os);
      normalizeTree(os);
      Files.setPosixFilePermissions(
          os.resolve("tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));

      try {
        Files.move(tmp, entry, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
        log.debug("another build created " + entry + " first; using it");
        JdepsModuleAnalysis.deleteRecursively(tmp);
      } catch (AtomicMoveNotSupportedException e) {
        throw new K8sciException(
            "The jlink cache " + parent + " does not support atomic moves: " + e.getMessage(), e);
      }
    } catch (IOException e) {
      JdepsModuleAnalysis.deleteRecursively(tmp);
      throw new K8sciException("Cannot build the jlink runtime under " + tmp + ": " + e, e);
    } catch (RuntimeException e) {
      JdepsModuleAnalysis.deleteRecursively(tmp);
      throw e;
    }
  }

  /** Removes temporary entries left by builds that were killed more than a day ago. */
  private static void removeStaleTemporaryEntries(Path parent) throws IOException {
    Instant dayAgo = Instant.now().minus(Duration.ofDays(1));
    try (Stream<Path> children = Files.list(parent)) {
      for (Path child : children.toList()) {
        if (child.getFileName().toString().startsWith(".tmp-")
            && Files.getLastModifiedTime(child).toInstant().isBefore(dayAgo)) {
          JdepsModuleAnalysis.deleteRecursively(child);
        }
      }
    }
  }

  /** Replaces symlinks (jlink links legal notices to java.base's) by copies of their targets. */
  private static void materializeSymlinks(Path root) throws IOException {
    List<Path> links;
    try (Stream<Path> files = Files.walk(root)) {
      links = files.filter(Files::isSymbolicLink).toList();
    }
    for (Path link : links) {
      Path target = link.toRealPath();
      if (!target.startsWith(root) || !Files.isRegularFile(target)) {
        throw new K8sciException(
            "jlink output " + link + " links to " + target + ", outside the runtime.");
      }
      Files.delete(link);
      Files.copy(target, link);
    }
  }

  /**
   * Permissions 755 for directories, executables and shared libraries, 644 for the rest: the same
   * bits every build, whatever the umask.
   */
  private static void normalizeTree(Path root) throws IOException {
    List<Path> paths;
    try (Stream<Path> files = Files.walk(root)) {
      paths = files.toList();
    }
    Set<PosixFilePermission> exec = PosixFilePermissions.fromString("rwxr-xr-x");
    Set<PosixFilePermission> regular = PosixFilePermissions.fromString("rw-r--r--");
    for (Path p : paths) {
      if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        Files.setPosixFilePermissions(p, exec);
      } else {
        String name = p.getFileName().toString();
        boolean executable =
            name.endsWith(".so")
                || name.contains(".so.")
                || Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS)
                    .contains(PosixFilePermission.OWNER_EXECUTE);
        Files.setPosixFilePermissions(p, executable ? exec : regular);
      }
      Files.setLastModifiedTime(p, FileTime.from(MODIFICATION_TIME));
    }
  }

  /** {@code /etc/passwd}, {@code /etc/group}, {@code /etc/nsswitch.conf} and {@code /tmp}. */
  private static void writeOsFiles(Path os) throws IOException {
    Path etc = os.resolve("etc");
    Files.createDirectories(etc);
    Files.writeString(
        etc.resolve("passwd"),
        "root:x:0:0:root:/root:/sbin/nologin\n"
            + NON_ROOT_USER
            + ":x:"
            + NON_ROOT_UID
            + ":"
            + NON_ROOT_UID
            + ":"
            + NON_ROOT_USER
            + ":/tmp:/sbin/nologin\n",
        StandardCharsets.UTF_8);
    Files.writeString(
        etc.resolve("group"),
        "root:x:0:\n" + NON_ROOT_USER + ":x:" + NON_ROOT_UID + ":\n",
        StandardCharsets.UTF_8);
    Files.writeString(
        etc.resolve("nsswitch.conf"),
        "passwd: files\ngroup: files\nhosts: files dns\n",
        StandardCharsets.UTF_8);
    Files.createDirectories(os.resolve("tmp"));
    Files.createDirectories(os.resolve("root"));
  }

  /**
   * Lists the files and directories under {@code root} as layer entries at {@code imageDirectory},
   * sorted, with fixed times and permissions; returns the bytes of regular files.
   */
  private static long entries(Path root, String imageDirectory, List<FileEntry> out) {
    AbsoluteUnixPath base = AbsoluteUnixPath.get(imageDirectory);
    long bytes = 0;
    List<Path> paths;
    try (Stream<Path> files = Files.walk(root)) {
      paths = files.filter(p -> !p.equals(root)).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the jlink cache entry " + root, e);
    }
    if (!imageDirectory.equals("/")) {
      out.add(new FileEntry(root, base, DIRECTORY, MODIFICATION_TIME));
    }
    for (Path p : paths) {
      String rel = root.relativize(p).toString();
      AbsoluteUnixPath target = base.resolve(rel);
      try {
        if (Files.isDirectory(p)) {
          FilePermissions permissions =
              imageDirectory.equals("/") && rel.equals("tmp") ? STICKY_WORLD_WRITABLE : DIRECTORY;
          out.add(new FileEntry(p, target, permissions, MODIFICATION_TIME));
        } else {
          boolean executable = Files.isExecutable(p);
          out.add(new FileEntry(p, target, executable ? EXECUTABLE : REGULAR, MODIFICATION_TIME));
          bytes += Files.size(p);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot read " + p, e);
      }
    }
    return bytes;
  }

  /**
   * {@code /tmp} is world-writable with the sticky bit (1777), as on every Linux system: Tomcat and
   * others write there whatever user the container runs as. Jib's public API accepts only 3-digit
   * permissions, but writes all permission bits of a {@link FilePermissions} into the tar entry
   * mode, so the instance is made through its package-private constructor.
   */
  static final FilePermissions STICKY_WORLD_WRITABLE = stickyWorldWritable();

  private static FilePermissions stickyWorldWritable() {
    try {
      Constructor<FilePermissions> c = FilePermissions.class.getDeclaredConstructor(int.class);
      c.setAccessible(true);
      return c.newInstance(01777);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return FilePermissions.fromOctalString("777");
    }
  }

  private static String megabytes(long bytes) {
    return String.format(Locale.ROOT, "%.1f MB", bytes / 1_000_000.0);
  }

  private static Path absolute(Path p) {
    return p.toAbsolutePath().normalize();
  }

  /** Collects the inputs; all optional except that an empty application gets only java.base. */
  public static final class Builder {
    private Path jdkHome;
    private final List<Path> applicationJars = new ArrayList<>();
    private final Set<String> additionalModules = new LinkedHashSet<>();
    private Path cacheDirectory;
    private BuildLog log;

    private Builder() {}

    /** The JDK to link from; default: the JDK running this JVM ({@code java.home}). */
    public Builder jdkHome(Path jdkHome) {
      this.jdkHome = jdkHome;
      return this;
    }

    /**
     * Jars or class directories to analyse with jdeps. A Spring Boot jar (or war) is unpacked, its
     * nested jars analysed, and the Spring Boot module baseline added.
     */
    public Builder applicationJars(List<Path> applicationJars) {
      this.applicationJars.clear();
      this.applicationJars.addAll(applicationJars);
      return this;
    }

    /** Modules to add to what jdeps finds, e.g. for code loaded by reflection. */
    public Builder additionalModules(Set<String> additionalModules) {
      this.additionalModules.clear();
      this.additionalModules.addAll(additionalModules);
      return this;
    }

    /**
     * Where linked runtimes and jdeps results are kept between builds; default {@code
     * ~/.cache/k8sci}. The image layers point at files in it, so it must outlive the image build.
     */
    public Builder cacheDirectory(Path cacheDirectory) {
      this.cacheDirectory = cacheDirectory;
      return this;
    }

    public Builder log(BuildLog log) {
      this.log = log;
      return this;
    }

    public JlinkRuntime build() {
      return new JlinkRuntime(this);
    }
  }
}
