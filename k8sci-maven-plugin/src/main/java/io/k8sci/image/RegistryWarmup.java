package io.k8sci.image;

import com.google.cloud.tools.jib.http.FailoverHttpClient;
import com.google.cloud.tools.jib.http.Request;
import com.google.cloud.tools.jib.http.Response;
import com.google.cloud.tools.jib.http.ResponseException;
import io.k8sci.K8sciException;
import io.k8sci.log.BuildLog;
import java.io.IOException;
import java.net.URL;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Talks to the registry in the background while the jar is read and the layers are built: first the
 * {@link TlsPreflight} checks (whose verdict still fails the build before anything is pushed), then
 * one unauthenticated {@code GET /v2/} through Jib's own HTTP client, whose answer is only logged.
 *
 * <p>Why: a Maven build runs in a fresh JVM, where the first HTTPS call loads and initialises the
 * TLS stack, the trust store, Apache HttpClient and Google's HTTP client (and, for a plain-http
 * registry under {@code allowInsecureRegistries}, goes through Jib's https-to-http failover) —
 * about half a second of CPU that used to sit on the critical path of every build, before the first
 * registry call could even start. Done here, it overlaps work that needs no network.
 *
 * <p>The warm-up call is bounded: if the registry is slow or down, {@link #await} stops waiting
 * after a few seconds and leaves the diagnosis to Jib's own calls, which report it with the
 * registry's name.
 */
final class RegistryWarmup {

  /** How long {@link #await} waits for the warm-up call after the preflight checks. */
  static final Duration WARMUP_WAIT = Duration.ofSeconds(3);

  private static final int WARMUP_TIMEOUT_MILLIS = 5_000;

  /** A registry to check before pushing, named by the request field it comes from. */
  record Preflight(String registry, String field) {}

  private final CompletableFuture<Void> preflights;
  private final CompletableFuture<Void> warmup;

  private RegistryWarmup(CompletableFuture<Void> preflights, CompletableFuture<Void> warmup) {
    this.preflights = preflights;
    this.warmup = warmup;
  }

  /**
   * Starts the checks and the warm-up on a background thread.
   *
   * @param preflights the registries to check over verified TLS (empty with {@code
   *     allowInsecureRegistries})
   * @param warmupRegistry the registry Jib talks to first ({@code host[:port]}), if any
   */
  static RegistryWarmup start(
      List<Preflight> preflights,
      Optional<String> warmupRegistry,
      boolean allowInsecureRegistries,
      BuildLog log) {
    CompletableFuture<Void> checked = new CompletableFuture<>();
    CompletableFuture<Void> warmed = new CompletableFuture<>();
    Thread thread =
        new Thread(
            () -> {
              try {
                for (Preflight p : preflights) {
                  TlsPreflight.check(p.registry(), p.field(), log);
                }
                checked.complete(null);
              } catch (RuntimeException e) {
                checked.completeExceptionally(e);
                warmed.complete(null);
                return;
              }
              try {
                warmupRegistry.ifPresent(r -> warmUp(r, allowInsecureRegistries, log));
              } finally {
                warmed.complete(null);
              }
            },
            "k8sci-registry-warmup");
    thread.setDaemon(true);
    thread.start();
    return new RegistryWarmup(checked, warmed);
  }

  /**
   * Waits for the preflight checks (each bounded by its own timeouts) and, for at most {@link
   * #WARMUP_WAIT}, for the warm-up call.
   *
   * @throws K8sciException the preflight's verdict, when a registry cannot be used over TLS
   */
  void await() {
    try {
      preflights.get();
      warmup.get(WARMUP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new K8sciException("Interrupted while checking the registry", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(e.getCause());
    } catch (TimeoutException e) {
      // a slow registry: Jib's own calls will report it
    }
  }

  private static void warmUp(String registry, boolean allowInsecureRegistries, BuildLog log) {
    long started = System.nanoTime();
    FailoverHttpClient client =
        new FailoverHttpClient(
            allowInsecureRegistries, false, event -> log.debug("Warm-up: " + event.getMessage()));
    String outcome;
    try (Response response =
        client.get(
            new URL("https://" + registry + "/v2/"),
            Request.builder().setHttpTimeout(WARMUP_TIMEOUT_MILLIS).build())) {
      outcome = "HTTP " + response.getStatusCode();
    } catch (ResponseException e) {
      outcome = "HTTP " + e.getStatusCode(); // 401: the registry wants credentials; expected
    } catch (IOException | RuntimeException e) {
      outcome = e.toString();
    } finally {
      try {
        client.shutDown();
      } catch (IOException e) {
        // nothing left to release
      }
    }
    log.debug(
        "Warm-up call to "
            + registry
            + "/v2/: "
            + outcome
            + " in "
            + (System.nanoTime() - started) / 1_000_000
            + " ms");
  }
}
