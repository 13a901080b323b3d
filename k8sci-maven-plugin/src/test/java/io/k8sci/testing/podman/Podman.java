package io.k8sci.testing.podman;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs images with the podman CLI, for tests that must prove an image really starts.
 *
 * <p>Why a helper: in this project's sandbox and in unprivileged CI containers, {@code podman run}
 * only works with a few flags (see {@link #RUN_FLAGS}): runc instead of crun, ulimits no higher
 * than the container's own, and the host network (no slirp/netavark). Every test should run
 * containers the same way, with timeouts, and remove what it created.
 *
 * <p>Usage:
 *
 * <pre>{@code
 * Podman podman = new Podman();
 * String image = podman.load(tarFromJib);               // podman load -i
 * try {
 *   Podman.Result r = podman.run(Podman.run(image).user("1000").command("--version"));
 *   assertThat(r.exitCode()).isZero();
 *   try (Podman.Container c = podman.start(Podman.run(image).command("serve", "8080"))) {
 *     c.awaitLog(l -> l.contains("listening"), Duration.ofSeconds(30));
 *   }                                                    // stopped and removed
 * } finally {
 *   podman.rmi(image);
 * }
 * }</pre>
 *
 * <p>All methods are thread-safe (each call is its own podman process). A failing podman call
 * throws {@link PodmanException} with podman's output, except {@link #run} which returns the exit
 * code and output of the container so that tests can assert on failures too.
 */
public final class Podman {

  /** The OCI runtime to use when installed: crun fails in this sandbox, runc works. */
  public static final Path RUNC = Path.of("/usr/sbin/runc");

  /**
   * Flags every {@code podman run} gets: runc when installed, ulimits within what an unprivileged
   * container may set, and the host network (no network namespace setup needed; tests use free
   * ports on 127.0.0.1).
   */
  public static final List<String> RUN_FLAGS = runFlags();

  private static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);

  private final String executable;

  /** Uses {@code podman} from the PATH. */
  public Podman() {
    this("podman");
  }

  public Podman(String executable) {
    this.executable = executable;
  }

  private static List<String> runFlags() {
    List<String> flags = new ArrayList<>();
    if (Files.isExecutable(RUNC)) {
      flags.add("--runtime");
      flags.add(RUNC.toString());
    }
    flags.addAll(
        List.of(
            "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1000:1000", "--network", "host"));
    return List.copyOf(flags);
  }

  /** Exit code and output of a finished podman (or container) process. */
  public record Result(int exitCode, String stdout, String stderr) {
    /** stdout then stderr, for assertions and failure messages. */
    public String output() {
      return stdout + stderr;
    }
  }

  /** Thrown when a podman command itself (not the container) fails. */
  public static final class PodmanException extends RuntimeException {
    public PodmanException(String message) {
      super(message);
    }
  }

  /**
   * Loads an image tar (docker or OCI archive, e.g. written by Jib's {@code TarImage}) and returns
   * the loaded image's name (or id when the tar names none), usable in {@link #run} and {@link
   * #rmi}.
   */
  public String load(Path tar) {
    Result r = exec(List.of("load", "-i", tar.toString()), DEFAULT_TIMEOUT);
    requireSuccess(r, "podman load -i " + tar);
    Matcher m = Pattern.compile("Loaded image(?:\\(s\\))?: *(\\S+)").matcher(r.output());
    String image = null;
    while (m.find()) {
      image = m.group(1);
    }
    if (image == null) {
      throw new PodmanException("podman load printed no image name: " + r.output());
    }
    return image.split(",")[0];
  }

  /** Starts describing a container of {@code image}; pass it to {@link #run} or {@link #start}. */
  public static RunSpec run(String image) {
    return new RunSpec(image);
  }

  /**
   * Runs a container to completion ({@code podman run --rm}) and returns its exit code and output.
   * Fails only if podman cannot be started or the container outlives {@link RunSpec#timeout}.
   */
  public Result run(RunSpec spec) {
    List<String> args = new ArrayList<>(List.of("run", "--rm"));
    args.addAll(spec.podmanArguments());
    return exec(args, spec.timeout);
  }

  /**
   * Starts a container in the background ({@code podman run -d}). Close the returned {@link
   * Container} to stop and remove it.
   */
  public Container start(RunSpec spec) {
    List<String> args = new ArrayList<>(List.of("run", "-d"));
    args.addAll(spec.podmanArguments());
    Result r = exec(args, DEFAULT_TIMEOUT);
    requireSuccess(r, "podman run -d " + spec.image);
    String id = r.stdout().strip();
    int nl = id.lastIndexOf('\n');
    return new Container(nl >= 0 ? id.substring(nl + 1) : id);
  }

  /** Removes an image ({@code podman rmi -f}); missing images are ignored. */
  public void rmi(String image) {
    Result r = exec(List.of("rmi", "-f", image), DEFAULT_TIMEOUT);
    if (r.exitCode() != 0 && !r.output().contains("image not known")) {
      throw new PodmanException("podman rmi " + image + " failed: " + r.output());
    }
  }

  /** Whether an image is present in local storage. */
  public boolean imageExists(String image) {
    return exec(List.of("image", "exists", image), DEFAULT_TIMEOUT).exitCode() == 0;
  }

  /** Runs {@code podman <arguments>} with a timeout; for anything this class does not cover. */
  public Result exec(List<String> arguments, Duration timeout) {
    List<String> command = new ArrayList<>();
    command.add(executable);
    command.addAll(arguments);
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Process process;
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new PodmanException(
          "Cannot start "
              + executable
              + " ("
              + e.getMessage()
              + "); install podman and runc (apt-get install podman runc)");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Thread outReader = drain(process.getInputStream(), out);
    Thread errReader = drain(process.getErrorStream(), err);
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new PodmanException(
            "podman " + String.join(" ", arguments) + " did not finish within " + timeout);
      }
      outReader.join();
      errReader.join();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new PodmanException("interrupted while running podman " + arguments);
    }
    return new Result(
        process.exitValue(),
        out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

  private static Thread drain(InputStream in, ByteArrayOutputStream sink) {
    Thread t =
        new Thread(
            () -> {
              try (in) {
                byte[] buffer = new byte[8192];
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                  synchronized (sink) {
                    sink.write(buffer, 0, n);
                  }
                }
              } catch (IOException e) {
                // the process ended; its exit code tells what happened
              }
            },
            "podman-output");
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static void requireSuccess(Result r, String what) {
    if (r.exitCode() != 0) {
      throw new PodmanException(what + " failed (exit " + r.exitCode() + "): " + r.output());
    }
  }

  /** What to run: image, user, environment, entrypoint override and command arguments. */
  public static final class RunSpec {
    private final String image;
    private String user;
    private String entrypoint;
    private final Map<String, String> env = new LinkedHashMap<>();
    private final List<String> extraFlags = new ArrayList<>();
    private final List<String> command = new ArrayList<>();
    private Duration timeout = DEFAULT_TIMEOUT;

    private RunSpec(String image) {
      this.image = image;
    }

    /** {@code --user}, e.g. "1000" or "1000:1000". */
    public RunSpec user(String user) {
      this.user = user;
      return this;
    }

    public RunSpec env(String name, String value) {
      env.put(name, value);
      return this;
    }

    /** {@code --entrypoint}: replaces the image's entrypoint with this single executable. */
    public RunSpec entrypoint(String entrypoint) {
      this.entrypoint = entrypoint;
      return this;
    }

    /** More {@code podman run} flags, placed before the image. */
    public RunSpec flags(String... flags) {
      extraFlags.addAll(List.of(flags));
      return this;
    }

    /** Arguments after the image (the image's command / program arguments). */
    public RunSpec command(String... args) {
      command.addAll(List.of(args));
      return this;
    }

    /** How long {@link Podman#run} waits for the container to exit; default 2 minutes. */
    public RunSpec timeout(Duration timeout) {
      this.timeout = timeout;
      return this;
    }

    List<String> podmanArguments() {
      List<String> args = new ArrayList<>(RUN_FLAGS);
      if (user != null) {
        args.add("--user");
        args.add(user);
      }
      if (entrypoint != null) {
        args.add("--entrypoint");
        args.add(entrypoint);
      }
      env.forEach(
          (k, v) -> {
            args.add("--env");
            args.add(k + "=" + v);
          });
      args.addAll(extraFlags);
      args.add(image);
      args.addAll(command);
      return args;
    }
  }

  /** A container started with {@link #start}; {@link #close} stops and removes it. */
  public final class Container implements AutoCloseable {
    private final String id;

    private Container(String id) {
      this.id = id;
    }

    public String id() {
      return id;
    }

    /** The container's stdout and stderr so far. */
    public String logs() {
      return exec(List.of("logs", id), DEFAULT_TIMEOUT).output();
    }

    /** Whether the container is still running. */
    public boolean isRunning() {
      Result r = exec(List.of("inspect", "--format", "{{.State.Running}}", id), DEFAULT_TIMEOUT);
      return r.exitCode() == 0 && r.stdout().strip().equals("true");
    }

    /**
     * Polls the logs until {@code condition} holds for them; fails with the logs if the container
     * exits first or {@code timeout} passes.
     */
    public String awaitLog(Predicate<String> condition, Duration timeout) {
      Instant deadline = Instant.now().plus(timeout);
      while (true) {
        String logs = logs();
        if (condition.test(logs)) {
          return logs;
        }
        if (!isRunning()) {
          throw new PodmanException("container " + id + " exited; its output:\n" + logs());
        }
        if (Instant.now().isAfter(deadline)) {
          throw new PodmanException(
              "container "
                  + id
                  + " did not log what was expected within "
                  + timeout
                  + ":\n"
                  + logs);
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new PodmanException("interrupted while waiting for container " + id);
        }
      }
    }

    /** Stops (2 s grace) and removes the container. */
    @Override
    public void close() {
      exec(List.of("stop", "-t", "2", id), DEFAULT_TIMEOUT);
      Result rm = exec(List.of("rm", "-f", id), DEFAULT_TIMEOUT);
      if (rm.exitCode() != 0 && !rm.output().contains("no such container")) {
        throw new PodmanException("podman rm " + id + " failed: " + rm.output());
      }
    }
  }
}
