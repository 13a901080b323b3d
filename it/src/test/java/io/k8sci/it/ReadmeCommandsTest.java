package io.k8sci.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.k8sci.testing.podman.Podman;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two commands at the top of {@code README.md}, taken from the README itself and run on a copy
 * of the repository: the files {@code git ls-files} lists (plus new files not yet committed, {@code
 * --others --exclude-standard}, so the test also holds while a change is being made), i.e. what a
 * fresh clone has, without anyone's {@code target/}.
 *
 * <p><b>Command 1</b> runs verbatim with {@code bash -c}: it installs the plugin from the copy into
 * the local repository and builds {@code it/samples/hello-service} into {@code image.tar}. The test
 * checks the printed {@code podman load}/{@code podman run} line and the tar, runs the printed
 * {@code podman load} verbatim, and runs the loaded image (with this sandbox's podman flags and a
 * free port instead of {@code -p 8080:8080}) until its health endpoint answers. The environment
 * adds only {@code MAVEN_ARGS} (read by Maven 3.9 after the command line): the local repository of
 * this test run and the suite's shared k8sci cache, i.e. the warm {@code ~/.cache/k8sci} a
 * developer has after a first build (jlink-ing the sample's runtime costs a minute on 2 cores).
 *
 * <p><b>Command 2</b> ({@code it/run-all.sh}) is the whole suite, this test included: run from here
 * it would recurse forever, and letting the inner run skip only this test would still double the
 * suite's time (far over its 8-minute budget). What is checked instead: {@code .ci/run}, which CI
 * executes, runs exactly README's command 2 (so CI running green means command 2 works); and
 * command 2 runs on the copy with the {@code --dry-run} its usage documents, which goes through the
 * same dependency check and prints the Maven command it would {@code exec}, {@code ./mvnw -B
 * install} — the build this suite is part of.
 */
class ReadmeCommandsTest {

  private static final Pattern RUN_IT_WITH =
      Pattern.compile("(?m)^\\[INFO\\] Run it with: (podman load -i (\\S+)) && (podman run .*)$");

  @TempDir Path work;

  @Test
  void commandOneBuildsTheSampleImageToATarThatLoadsAndRuns() throws Exception {
    List<String> commands = readmeCommands();
    Path copy = copyOfRepository(work.resolve("k8sci"));

    Shell.Result result =
        Shell.run(copy, commands.get(0), Map.of("MAVEN_ARGS", mavenArgs()), Duration.ofMinutes(10));
    assertThat(result.exitCode()).as(result.tail()).isZero();

    Path tar = copy.resolve("it/samples/hello-service/target/k8sci/image.tar");
    Matcher printed = RUN_IT_WITH.matcher(result.output());
    assertThat(printed.find()).as("a 'Run it with:' line in\n" + result.tail()).isTrue();
    assertThat(Path.of(printed.group(2))).isEqualTo(tar);
    assertThat(printed.group(3)).isEqualTo("podman run --rm -p 8080:8080 hello-service:1.0.0");
    assertThat(tar).isRegularFile();
    assertThat(Files.size(tar)).isGreaterThan(10L * 1024 * 1024);

    Podman podman = new Podman();
    Shell.Result load = Shell.run(copy, printed.group(1), Map.of(), Duration.ofMinutes(3));
    assertThat(load.exitCode()).as(load.output()).isZero();
    assertThat(load.output())
        .containsPattern("Loaded image(\\(s\\))?: localhost/hello-service:1.0.0");
    String image = "localhost/hello-service:1.0.0";
    try {
      HttpResponse<String> health =
          ServiceProbe.get(podman, image, "Started HelloApplication", "/actuator/health");
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.body()).contains("\"status\":\"UP\"");
    } finally {
      podman.rmi(image);
    }
  }

  @Test
  void commandTwoIsWhatCiRunsAndItsDryRunPrintsTheBuild() throws Exception {
    List<String> commands = readmeCommands();
    assertThat(commands.get(1)).isEqualTo("it/run-all.sh");

    // CI runs exactly command 2.
    List<String> ciSteps =
        Files.readAllLines(MavenBuild.REPOSITORY_ROOT.resolve(".ci/run")).stream()
            .map(String::strip)
            .filter(l -> !l.isEmpty() && !l.startsWith("#"))
            .filter(l -> !l.startsWith("set ") && !l.startsWith("cd "))
            .toList();
    assertThat(ciSteps).containsExactly("exec " + commands.get(1));

    // Command 2 on a fresh copy, in the dry mode its usage documents.
    Path copy = copyOfRepository(work.resolve("k8sci"));
    assertThat(Files.readString(copy.resolve("it/run-all.sh"))).contains("#   --dry-run  ");
    Shell.Result dryRun =
        Shell.run(copy, commands.get(1) + " --dry-run", Map.of(), Duration.ofMinutes(1));
    assertThat(dryRun.exitCode()).as(dryRun.output()).isZero();
    assertThat(dryRun.output().lines().toList())
        .containsExactly(
            "Test dependencies installed: docker-registry skopeo umoci podman runc",
            "Would run: ./mvnw -B install");
  }

  /** This run's local repository (when set) and the suite's shared k8sci cache. */
  private static String mavenArgs() {
    String cache = "-Dk8sci.cacheDir=" + ItCaches.k8sciCache();
    return MavenBuild.LOCAL_REPOSITORY == null
        ? cache
        : "-Dmaven.repo.local=" + MavenBuild.LOCAL_REPOSITORY + " " + cache;
  }

  /** The commands of README's first {@code sh} block (comment lines left out), in order. */
  static List<String> readmeCommands() throws IOException {
    String readme = Files.readString(MavenBuild.REPOSITORY_ROOT.resolve("README.md"));
    int start = readme.indexOf("```sh\n");
    assertThat(start).as("a ```sh block in README.md").isNotNegative();
    int end = readme.indexOf("```", start + 6);
    List<String> commands =
        readme
            .substring(start + 6, end)
            .lines()
            .map(String::strip)
            .filter(l -> !l.isEmpty() && !l.startsWith("#"))
            .toList();
    assertThat(commands).as("README's commands").hasSize(2);
    return commands;
  }

  /** The repository's files as a clone has them (plus uncommitted new ones), under {@code dir}. */
  static Path copyOfRepository(Path dir) throws IOException, InterruptedException {
    Path root = MavenBuild.REPOSITORY_ROOT;
    Process git =
        new ProcessBuilder("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
            .directory(root.toFile())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    byte[] listing = git.getInputStream().readAllBytes();
    assertThat(git.waitFor(1, TimeUnit.MINUTES)).isTrue();
    assertThat(git.exitValue()).as("git ls-files in " + root).isZero();
    int copied = 0;
    for (String name : new String(listing, StandardCharsets.UTF_8).split("\0")) {
      Path source = root.resolve(name);
      if (name.isEmpty() || !Files.isRegularFile(source)) {
        continue; // deleted in the working tree, not yet committed
      }
      Path target = dir.resolve(name);
      Files.createDirectories(target.getParent());
      Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
      copied++;
    }
    assertThat(copied).as("files copied from " + root).isGreaterThan(10);
    assertThat(dir.resolve("mvnw")).isExecutable();
    return dir;
  }

  /** {@code bash -c COMMAND} in a directory with a CI-like environment. */
  static final class Shell {

    record Result(int exitCode, String output) {
      String tail() {
        return output.length() <= 20_000 ? output : output.substring(output.length() - 20_000);
      }
    }

    static Result run(Path dir, String command, Map<String, String> extraEnv, Duration timeout)
        throws InterruptedException {
      Map<String, String> env = new HashMap<>();
      for (String name : List.of("PATH", "HOME", "JAVA_HOME", "LANG", "TMPDIR", "USER")) {
        String value = System.getenv(name);
        if (value != null) {
          env.put(name, value);
        }
      }
      env.putAll(extraEnv);
      List<String> argv = new ArrayList<>(List.of("bash", "-c", command));
      ProcessBuilder builder = new ProcessBuilder(argv).directory(dir.toFile());
      builder.environment().clear();
      builder.environment().putAll(env);
      builder.redirectErrorStream(true);
      Path log = dir.resolveSibling(dir.getFileName() + "-shell-" + System.nanoTime() + ".log");
      builder.redirectOutput(log.toFile());
      try {
        Process process = builder.start();
        if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
          process.descendants().forEach(ProcessHandle::destroyForcibly);
          process.destroyForcibly();
          throw new AssertionError("timed out after " + timeout + ": " + command);
        }
        return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
