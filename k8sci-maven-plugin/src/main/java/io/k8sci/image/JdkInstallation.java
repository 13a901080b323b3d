package io.k8sci.image;

import io.k8sci.K8sciException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;

/**
 * The JDK whose modules are linked into the image: where it is, which version it is, which modules
 * it can link, and how to run its tools.
 *
 * <p>Checked up front so that a JRE, a JDK without {@code jmods} or a non-Linux JDK fails with a
 * message saying what to install, instead of a jlink stack trace.
 */
final class JdkInstallation {

  private final Path home;
  private final Properties release;
  private final Set<String> linkableModules;
  private final boolean sameAsRunningJvm;

  private JdkInstallation(
      Path home, Properties release, Set<String> linkableModules, boolean sameAsRunningJvm) {
    this.home = home;
    this.release = release;
    this.linkableModules = linkableModules;
    this.sameAsRunningJvm = sameAsRunningJvm;
  }

  /** Inspects {@code home}; fails with an actionable message if it cannot build a runtime. */
  static JdkInstallation inspect(Path home) {
    String hostOs = System.getProperty("os.name", "");
    if (!hostOs.toLowerCase(Locale.ROOT).startsWith("linux")) {
      throw new K8sciException(
          "from=jlink builds the image's Java runtime from the JDK running the build, which must be"
              + " a Linux JDK (the image runs Linux); this build runs on "
              + hostOs
              + ". Run the build on Linux (e.g. in CI) or use a base image instead of from=jlink.");
    }
    Path realHome;
    try {
      realHome = home.toRealPath();
    } catch (IOException e) {
      throw new K8sciException("JDK home " + home + " (jdkHome) does not exist.", e);
    }
    Path jlink = realHome.resolve("bin/jlink");
    if (!Files.isExecutable(jlink)) {
      throw new K8sciException(
          "The Java installation at "
              + realHome
              + " has no jlink (bin/jlink is missing): it is a JRE, not a JDK. from=jlink links the"
              + " image's runtime with the JDK that runs Maven: run Maven with a full JDK 17 or"
              + " newer (set JAVA_HOME to it), or use a base image instead of from=jlink.");
    }
    Path jmods = realHome.resolve("jmods");
    if (!Files.isDirectory(jmods)) {
      throw new K8sciException(
          "The JDK at "
              + realHome
              + " has no jmods directory, which jlink needs to link a runtime. Install the JDK's"
              + " jmods (some distributions package them separately, e.g. a '-jmods' package) or"
              + " run Maven with a JDK that ships them.");
    }
    Properties release = readRelease(realHome);
    String osName = unquote(release.getProperty("OS_NAME", "Linux"));
    if (!osName.equalsIgnoreCase("Linux")) {
      throw new K8sciException(
          "The JDK at "
              + realHome
              + " is built for "
              + osName
              + ", not Linux: from=jlink needs a"
              + " Linux JDK because its runtime is copied into a Linux image.");
    }
    Set<String> modules = new TreeSet<>();
    try (Stream<Path> files = Files.list(jmods)) {
      files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".jmod"))
          .forEach(n -> modules.add(n.substring(0, n.length() - ".jmod".length())));
    } catch (IOException e) {
      throw new K8sciException("Cannot list " + jmods + ": " + e.getMessage(), e);
    }
    boolean same;
    try {
      same = Path.of(System.getProperty("java.home")).toRealPath().equals(realHome);
    } catch (IOException e) {
      same = false;
    }
    return new JdkInstallation(realHome, release, Collections.unmodifiableSet(modules), same);
  }

  private static Properties readRelease(Path home) {
    Properties p = new Properties();
    Path file = home.resolve("release");
    if (Files.isRegularFile(file)) {
      try (InputStream in = Files.newInputStream(file)) {
        p.load(in);
      } catch (IOException e) {
        throw new K8sciException("Cannot read " + file + ": " + e.getMessage(), e);
      }
    }
    return p;
  }

  private static String unquote(String s) {
    String t = s.trim();
    return t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"")
        ? t.substring(1, t.length() - 1)
        : t;
  }

  Path home() {
    return home;
  }

  /** Full version as the release file states it, e.g. {@code 17.0.15+6-Debian-1deb12u1}. */
  String version() {
    String v = release.getProperty("JAVA_RUNTIME_VERSION", release.getProperty("JAVA_VERSION"));
    if (v == null) {
      if (sameAsRunningJvm) {
        return Runtime.version().toString();
      }
      throw new K8sciException(
          "The JDK at " + home + " has no 'release' file naming its version (JAVA_VERSION).");
    }
    return unquote(v);
  }

  /** The feature release, e.g. 17, used for jdeps {@code --multi-release}. */
  int featureVersion() {
    String v = version();
    int end = 0;
    while (end < v.length() && Character.isDigit(v.charAt(end))) {
      end++;
    }
    if (end == 0) {
      throw new K8sciException("Cannot read the Java version of " + home + " from '" + v + "'.");
    }
    int feature = Integer.parseInt(v.substring(0, end));
    if (feature == 1) { // 1.8.0_x
      throw new K8sciException(
          "The JDK at " + home + " is Java " + v + "; from=jlink needs JDK 17 or newer.");
    }
    return feature;
  }

  /** The modules this JDK can link (one per {@code jmods/*.jmod}). */
  Set<String> linkableModules() {
    return linkableModules;
  }

  /**
   * Runs one of the JDK's tools: in this JVM through {@link ToolProvider} when the JDK is the one
   * running the build (no process start), otherwise as {@code bin/<tool>} of that JDK.
   */
  ToolResult runTool(String tool, List<String> args, boolean preferInProcess) {
    if (preferInProcess && sameAsRunningJvm) {
      Optional<ToolProvider> provider = ToolProvider.findFirst(tool);
      if (provider.isPresent()) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit;
        try (PrintWriter o = new PrintWriter(out);
            PrintWriter e = new PrintWriter(err)) {
          try {
            exit = provider.get().run(o, e, args.toArray(String[]::new));
          } catch (RuntimeException failure) {
            // jdeps lets e.g. java.lang.module.FindException escape instead of returning 1
            failure.printStackTrace(e);
            exit = 1;
          }
        }
        return new ToolResult(exit, out.toString(), err.toString());
      }
    }
    List<String> command = new ArrayList<>();
    command.add(home.resolve("bin").resolve(tool).toString());
    command.addAll(args);
    return runProcess(command, tool);
  }

  /** Runs a process with a clean loader environment and captures its output. */
  static ToolResult runProcess(List<String> command, String what) {
    ProcessBuilder pb = new ProcessBuilder(command);
    Map<String, String> env = pb.environment();
    env.remove("LD_LIBRARY_PATH");
    env.remove("LD_PRELOAD");
    env.remove("JAVA_TOOL_OPTIONS");
    env.remove("JDK_JAVA_OPTIONS");
    env.put("LC_ALL", "C");
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Process process;
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start " + what + " (" + command.get(0) + ")", e);
    }
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Thread errReader =
        new Thread(
            () -> {
              try (InputStream in = process.getErrorStream()) {
                in.transferTo(err);
              } catch (IOException ignored) {
                // process died; exit code tells
              }
            },
            "k8sci-" + what + "-stderr");
    errReader.setDaemon(true);
    errReader.start();
    try {
      String out;
      try (InputStream in = process.getInputStream()) {
        out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      int exit = process.waitFor();
      errReader.join();
      return new ToolResult(exit, out, err.toString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      process.destroyForcibly();
      throw new UncheckedIOException("Cannot read the output of " + what, e);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new K8sciException("Interrupted while running " + what, e);
    }
  }

  /** Exit code and captured output of a tool run. */
  record ToolResult(int exitCode, String stdout, String stderr) {
    String combinedOutput() {
      String o = stdout.strip();
      String e = stderr.strip();
      return o.isEmpty() ? e : e.isEmpty() ? o : o + "\n" + e;
    }
  }
}
