package io.k8sci.it.bench;

import io.k8sci.cluster.ClusterConnection;
import io.k8sci.deploy.RolloutReport;
import io.k8sci.deploy.RolloutRequest;
import io.k8sci.deploy.RolloutService;
import io.k8sci.log.BuildLog;
import io.k8sci.testing.kube.SimulatedDeploymentController;
import io.k8sci.testing.kube.TestApiServer;
import io.k8sci.testing.kube.TestManifests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Measures, for {@code it/benchmark/rollout-latency.sh}, how long {@code k8sci:rollout} takes to
 * notice that a rollout is done: from the moment the (simulated) deployment controller writes the
 * Deployment status that completes the rollout to the return of {@link RolloutService#run}.
 *
 * <p>Each run changes the image of a 3-replica Deployment and runs the rollout service against the
 * test API server, whose {@link SimulatedDeploymentController} rolls it out (surge 1, a step every
 * 40 ms). The controller records {@link System#nanoTime()} just before it sends the completing
 * status ({@link SimulatedDeploymentController#completedAt}); this main takes the time right after
 * {@code run} returns, in the same JVM. The watcher's own view ({@code completionLatency}, from the
 * event that decided the verdict to the return of the watch) is printed as a cross-check.
 *
 * <p>Usage: {@code RolloutLatency [runs]} (default 20): runs 1..N update the Deployment in one JVM
 * (run 0 creates it and is reported apart). {@code RolloutLatency --first-in-jvm}: one update in a
 * JVM that has not run the rollout service before, as in a Maven process (prints {@code FIRST ms
 * watcher-ms}).
 */
public final class RolloutLatency {

  private static final String NAMESPACE = "bench";
  private static final String NAME = "web";
  private static final int REPLICAS = 3;
  private static final Pattern WATCHER_LATENCY =
      Pattern.compile(": verdict to return took (\\d+) ms");

  private RolloutLatency() {}

  /** One measured rollout. */
  private record Run(int index, double latencyMs, Double watcherMs, double rolloutMs) {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--first-in-jvm")) {
      firstInJvm();
      return;
    }
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    Path work = Files.createTempDirectory("k8sci-rollout-latency-");
    List<Run> measured = new ArrayList<>();
    try (TestApiServer server = TestApiServer.start();
        SimulatedDeploymentController controller = SimulatedDeploymentController.start(server)) {
      Path manifests = Files.createDirectories(work.resolve("manifests"));
      for (int i = 0; i <= runs; i++) {
        Files.writeString(
            manifests.resolve("deployment.yaml"),
            deploymentYaml("registry.example.com/team/web:1.0." + i));
        WatcherLog log = new WatcherLog();
        long started = System.nanoTime();
        RolloutReport report = new RolloutService().run(request(server, manifests, work, log));
        long returned = System.nanoTime();
        if (report.outcome() != RolloutReport.Outcome.SUCCEEDED) {
          throw new IllegalStateException("run " + i + ": rollout " + report.outcome());
        }
        long generation =
            server
                .client()
                .apps()
                .deployments()
                .inNamespace(NAMESPACE)
                .withName(NAME)
                .get()
                .getMetadata()
                .getGeneration();
        OptionalLong completed = controller.completedAt(NAMESPACE, NAME, generation);
        if (completed.isEmpty()) {
          throw new IllegalStateException(
              "run "
                  + i
                  + ": the rollout succeeded but the controller never completed generation "
                  + generation);
        }
        Run run =
            new Run(
                i,
                (returned - completed.getAsLong()) / 1e6,
                log.watcherLatencyMs,
                (returned - started) / 1e6);
        System.out.printf(
            Locale.ROOT,
            "run %2d: status written -> run() returned %6.1f ms (watcher: verdict -> return %s),"
                + " whole rollout %6.0f ms%n",
            run.index(),
            run.latencyMs(),
            run.watcherMs() == null ? "n/a" : run.watcherMs() + " ms",
            run.rolloutMs());
        measured.add(run);
      }
      if (!controller.errors().isEmpty()) {
        throw new IllegalStateException("controller errors: " + controller.errors());
      }
    } finally {
      try (Stream<Path> paths = Files.walk(work)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }

    Run first = measured.get(0);
    List<Double> latencies = measured.stream().skip(1).map(Run::latencyMs).sorted().toList();
    List<Double> watcher =
        measured.stream().skip(1).map(Run::watcherMs).filter(w -> w != null).sorted().toList();
    System.out.println();
    System.out.printf(
        Locale.ROOT,
        "Rollout latency, last Deployment status written -> RolloutService.run returned"
            + " (%d updates of a %d-replica Deployment):%n",
        latencies.size(),
        REPLICAS);
    System.out.println();
    System.out.println("| measure | median ms | p90 ms | max ms | min ms |");
    System.out.println("|---|---|---|---|---|");
    System.out.printf(
        Locale.ROOT,
        "| status written -> goal returns | %.1f | %.1f | %.1f | %.1f |%n",
        percentile(latencies, 50),
        percentile(latencies, 90),
        latencies.get(latencies.size() - 1),
        latencies.get(0));
    if (!watcher.isEmpty()) {
      System.out.printf(
          Locale.ROOT,
          "| cross-check: watcher verdict -> watch returns | %.1f | %.1f | %.1f | %.1f |%n",
          percentile(watcher, 50),
          percentile(watcher, 90),
          watcher.get(watcher.size() - 1),
          watcher.get(0));
    }
    System.out.printf(
        Locale.ROOT,
        "%nFirst rollout in a fresh JVM (creation, run 0): %.1f ms. Target: median < 250 ms: %s%n",
        first.latencyMs(),
        percentile(latencies, 50) < 250 ? "met" : "MISSED");
  }

  /**
   * One rollout the way a Maven process does it: the Deployment exists already (applied by another
   * client), and this JVM has never run {@link RolloutService}. Prints {@code FIRST <latency ms>
   * <watcher ms> <phases ms>} for the script to aggregate; the phases are: status written to the
   * watcher's "successfully rolled out" message, from there to "Rollout complete" (logged after
   * rollout.json is written), from there to the return of run() (the client is closed).
   */
  private static void firstInJvm() throws Exception {
    Path work = Files.createTempDirectory("k8sci-rollout-latency-");
    try (TestApiServer server = TestApiServer.start();
        SimulatedDeploymentController controller = SimulatedDeploymentController.start(server)) {
      Path manifests = Files.createDirectories(work.resolve("manifests"));
      server
          .client()
          .apps()
          .deployments()
          .inNamespace(NAMESPACE)
          .resource(
              io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
                  deploymentYaml("registry.example.com/team/web:1.0.0"),
                  io.fabric8.kubernetes.api.model.apps.Deployment.class))
          .fieldManager("bench-setup")
          .serverSideApply();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (controller.completedAt(NAMESPACE, NAME, 1).isEmpty()) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the initial Deployment did not roll out");
        }
        Thread.sleep(10);
      }
      Files.writeString(
          manifests.resolve("deployment.yaml"),
          deploymentYaml("registry.example.com/team/web:1.0.1"));
      WatcherLog log = new WatcherLog();
      RolloutReport report = new RolloutService().run(request(server, manifests, work, log));
      long returned = System.nanoTime();
      if (report.outcome() != RolloutReport.Outcome.SUCCEEDED) {
        throw new IllegalStateException("rollout " + report.outcome());
      }
      long generation =
          server
              .client()
              .apps()
              .deployments()
              .inNamespace(NAMESPACE)
              .withName(NAME)
              .get()
              .getMetadata()
              .getGeneration();
      long completed =
          controller
              .completedAt(NAMESPACE, NAME, generation)
              .orElseThrow(() -> new IllegalStateException("generation not completed"));
      System.out.printf(
          Locale.ROOT,
          "FIRST %.1f %s %.1f %.1f %.1f%n",
          (returned - completed) / 1e6,
          log.watcherLatencyMs == null ? "nan" : log.watcherLatencyMs.toString(),
          (log.rolledOutNanos - completed) / 1e6,
          (log.completeNanos - log.rolledOutNanos) / 1e6,
          (returned - log.completeNanos) / 1e6);
    } finally {
      try (Stream<Path> paths = Files.walk(work)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Nearest-rank percentile of sorted values. */
  private static double percentile(List<Double> sorted, int p) {
    int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.max(0, rank - 1));
  }

  private static RolloutRequest request(
      TestApiServer server, Path manifests, Path work, BuildLog log) {
    return new RolloutRequest(
        manifests,
        Optional.empty(),
        Optional.empty(),
        false,
        Map.of(),
        Map.of(),
        "1.0.0",
        false,
        ClusterConnection.builder()
            .server(server.url())
            .token(TestApiServer.TOKEN)
            .namespace(NAMESPACE),
        Optional.of(NAMESPACE),
        Duration.ofMinutes(1),
        true,
        false,
        false,
        work.resolve("target/k8sci"),
        log);
  }

  private static String deploymentYaml(String image) {
    return TestManifests.deploymentYaml(NAME, image, REPLICAS);
  }

  /** Drops the goal's messages; keeps the watcher's "verdict to return" debug line. */
  private static final class WatcherLog implements BuildLog {
    volatile Double watcherLatencyMs;

    volatile long rolledOutNanos;
    volatile long completeNanos;

    @Override
    public void info(String message) {
      if (message.contains("successfully rolled out")) {
        rolledOutNanos = System.nanoTime();
      } else if (message.startsWith("Rollout complete")) {
        completeNanos = System.nanoTime(); // logged after rollout.json is written
      }
    }

    @Override
    public void warn(String message) {
      System.out.println("WARN " + message);
    }

    @Override
    public void debug(String message) {
      Matcher m = WATCHER_LATENCY.matcher(message);
      if (m.find()) {
        watcherLatencyMs = Double.parseDouble(m.group(1));
      }
    }

    @Override
    public boolean isDebugEnabled() {
      return true;
    }
  }
}
