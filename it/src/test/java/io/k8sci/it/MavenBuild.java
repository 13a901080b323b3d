package io.k8sci.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs a real {@code mvn} process on a project copied under {@code target/}, the way a CI job runs
 * it: the installed plugin, the user's local repository, an environment we choose (so CI variables
 * are exactly what the scenario says, never leaked from the machine running the tests).
 */
final class MavenBuild {

  /** The outcome of one Maven run. */
  record Result(int exitCode, String output, Path projectDir) {
    Result assertSuccess() {
      if (exitCode != 0) {
        throw new AssertionError("Maven build failed (exit " + exitCode + "):\n" + tail(output));
      }
      return this;
    }

    Result assertFailure() {
      if (exitCode == 0) {
        throw new AssertionError("Maven build succeeded but should have failed:\n" + tail(output));
      }
      return this;
    }

    /** The output's lines, in order. */
    List<String> lines() {
      return output.lines().toList();
    }

    /**
     * What Maven printed at ERROR level, without the {@code [ERROR] } prefix: the failure a user
     * reads, one entry per printed line (a multi-line message is one entry per line).
     */
    List<String> errorLines() {
      return output
          .lines()
          .filter(line -> line.startsWith("[ERROR]"))
          .map(line -> line.length() > 8 ? line.substring(8) : "")
          .toList();
    }

    private static String tail(String text) {
      return text.length() <= 20_000 ? text : text.substring(text.length() - 20_000);
    }
  }

  static final Path REPOSITORY_ROOT =
      Paths.get(System.getProperty("k8sci.it.repositoryRoot", "..")).toAbsolutePath().normalize();
  static final String PLUGIN_VERSION = System.getProperty("k8sci.it.pluginVersion");
  private static final Path MAVEN_HOME =
      Paths.get(System.getProperty("k8sci.it.mavenHome", "/usr/share/maven"));
  static final String LOCAL_REPOSITORY = System.getProperty("k8sci.it.localRepository");

  private final Path projectDir;
  private final Map<String, String> environment = new HashMap<>();
  private Path mavenHome = MAVEN_HOME;

  private MavenBuild(Path projectDir) {
    this.projectDir = projectDir;
    // A clean, CI-like environment: only what a runner image would have, plus what a test adds.
    for (String name : List.of("PATH", "HOME", "JAVA_HOME", "LANG", "TMPDIR")) {
      String value = System.getenv(name);
      if (value != null) {
        environment.put(name, value);
      }
    }
  }

  /** Copies {@code it/samples/<sample>} to {@code workDir} and prepares a build of the copy. */
  static MavenBuild ofSample(String sample, Path workDir) {
    Path source = REPOSITORY_ROOT.resolve("it/samples").resolve(sample);
    copyTree(source, workDir);
    return new MavenBuild(workDir);
  }

  /** A build in {@code projectDir} as it is (e.g. an empty directory for archetype:generate). */
  static MavenBuild of(Path projectDir) {
    return new MavenBuild(projectDir);
  }

  /**
   * Copies a project directory with everything in it, {@code target/} included (a later job of the
   * same pipeline that gets the earlier job's artifacts), and prepares a build of the copy.
   */
  static MavenBuild copyOf(Path projectDir, Path workDir) {
    copyTree(projectDir, workDir, true);
    return new MavenBuild(workDir);
  }

  MavenBuild env(String name, String value) {
    environment.put(name, value);
    return this;
  }

  /** Runs with another Maven installation (e.g. Debian's 3.8.7 in /usr/share/maven). */
  MavenBuild mavenHome(Path home) {
    this.mavenHome = home;
    return this;
  }

  Result run(String... args) {
    List<String> command = new ArrayList<>();
    command.add(mavenHome.resolve("bin/mvn").toString());
    command.add("-B");
    command.add("-ntp");
    if (LOCAL_REPOSITORY != null) {
      command.add("-Dmaven.repo.local=" + LOCAL_REPOSITORY);
    }
    if (PLUGIN_VERSION != null) {
      command.add("-Dk8sci.version=" + PLUGIN_VERSION);
    }
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(projectDir.toFile());
    builder.environment().clear();
    builder.environment().putAll(environment);
    builder.redirectErrorStream(true);
    // Next to the project, not in it: the project stays what a checkout (plus target/) would be.
    Path log =
        projectDir
            .toAbsolutePath()
            .resolveSibling(projectDir.getFileName() + "-build-" + System.nanoTime() + ".log");
    builder.redirectOutput(log.toFile());
    try {
      Process process = builder.start();
      if (!process.waitFor(10, TimeUnit.MINUTES)) {
        process.destroyForcibly();
        throw new AssertionError("Maven build timed out: " + command);
      }
      return new Result(
          process.exitValue(), Files.readString(log, StandardCharsets.UTF_8), projectDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** Copies a project without its {@code target/} directories (a fresh checkout). */
  static void copyTree(Path source, Path target) {
    copyTree(source, target, false);
  }

  private static void copyTree(Path source, Path target, boolean withTarget) {
    try (Stream<Path> paths = Files.walk(source)) {
      for (Path path : (Iterable<Path>) paths::iterator) {
        Path relative = source.relativize(path);
        if (!withTarget && isBuildOutput(relative)) {
          continue;
        }
        Path destination = target.resolve(relative.toString());
        if (Files.isDirectory(path)) {
          Files.createDirectories(destination);
        } else {
          Files.copy(path, destination, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code target} or anything below a {@code target} directory (of any module). */
  private static boolean isBuildOutput(Path relative) {
    for (Path part : relative) {
      if (part.toString().equals("target")) {
        return true;
      }
    }
    return false;
  }
}
