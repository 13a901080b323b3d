package io.k8sci.image;

import io.k8sci.K8sciException;
import io.k8sci.log.BuildLog;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * One TLS handshake with a registry before Jib starts, so that an untrusted certificate or a
 * registry that speaks plain http fails the build at once with advice, instead of after Jib's own
 * I/O retries (about a minute of exponential back-off, then a bare {@code SSLHandshakeException}).
 *
 * <p>It uses the JVM's default {@code SSLContext}, the one Jib uses (including CAs added by {@link
 * io.k8sci.registry.RegistryTrust}), and sends no credentials. Anything other than a definite TLS
 * verdict (no route, proxy, timeout, an HTTP status) is left to Jib, which reports it with its
 * retries; the check is skipped when {@code allowInsecureRegistries} is set, since Jib then falls
 * back to unverified TLS and plain http by design.
 *
 * <p>{@link #start} runs the checks on a background thread while the jar is read and the layers are
 * built: in the fresh JVM of a Maven build, the first handshake also loads and initialises the TLS
 * stack and the trust store (a few hundred milliseconds of CPU that Jib would otherwise spend on
 * its critical path), and nothing is pushed before {@link Checks#await} has the verdict.
 */
final class TlsPreflight {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private TlsPreflight() {}

  /** A registry to check, named by the request field it comes from ({@code to}, {@code from}). */
  record Registry(String host, String field) {}

  /** Checks running in the background. */
  static final class Checks {

    private final CompletableFuture<Void> done;

    private Checks(CompletableFuture<Void> done) {
      this.done = done;
    }

    /**
     * Waits for the verdict (each check is bounded by its own timeouts).
     *
     * @throws K8sciException when a registry cannot be used over verified TLS
     */
    void await() {
      try {
        done.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new K8sciException("Interrupted while checking the registry's TLS", e);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof RuntimeException runtime) {
          throw runtime;
        }
        throw new IllegalStateException(e.getCause());
      }
    }
  }

  /** Starts {@link #check}ing the registries, in order, on a background thread. */
  static Checks start(List<Registry> registries, BuildLog log) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (registries.isEmpty()) {
      done.complete(null);
      return new Checks(done);
    }
    Thread thread =
        new Thread(
            () -> {
              try {
                registries.forEach(r -> check(r.host(), r.field(), log));
                done.complete(null);
              } catch (RuntimeException e) {
                done.completeExceptionally(e);
              }
            },
            "k8sci-tls-preflight");
    thread.setDaemon(true);
    thread.start();
    return new Checks(done);
  }

  /**
   * @param registry {@code host[:port]} as Jib talks to it
   * @param field the request field naming this registry ({@code to} or {@code from})
   * @throws K8sciException when the registry's certificate is not trusted or it answers plain http
   */
  static void check(String registry, String field, BuildLog log) {
    Optional<String> problem = problem(registry);
    if (problem.isEmpty()) {
      return;
    }
    throw new K8sciException(
        "Cannot talk to the registry "
            + registry
            + " ("
            + field
            + ") over verified TLS: "
            + problem.get()
            + ". Nothing was pushed.");
  }

  static Optional<String> problem(String registry) {
    HttpClient client =
        HttpClient.newBuilder()
            .connectTimeout(TIMEOUT)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("https://" + registry + "/v2/"))
            .timeout(TIMEOUT)
            .GET()
            .build();
    try {
      client.send(request, HttpResponse.BodyHandlers.discarding());
      return Optional.empty();
    } catch (SSLHandshakeException e) {
      if (!isCertificateProblem(e)) {
        return Optional.empty();
      }
      return Optional.of(
          "its certificate is not trusted ("
              + RegistryFailures.summary(e)
              + "); set caCertificates to the PEM file of the CA that signed it (or, for a test"
              + " registry only, allowInsecureRegistries=true)");
    } catch (SSLException e) {
      String message = e.getMessage() == null ? "" : e.getMessage();
      if (message.contains("plaintext") || message.contains("Unsupported or unrecognized SSL")) {
        return Optional.of(
            "it answers plain http, not https; for a registry without TLS (tests, a local"
                + " registry) set allowInsecureRegistries=true");
      }
      return Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** A certificate the JVM does not trust or that does not match the host (not a hiccup). */
  private static boolean isCertificateProblem(SSLHandshakeException e) {
    for (Throwable t : RegistryFailures.chain(e)) {
      String message = t.getMessage() == null ? "" : t.getMessage();
      if (t instanceof java.security.cert.CertificateException
          || t instanceof java.security.cert.CertPathValidatorException
          || t.getClass().getName().endsWith("CertPathBuilderException")
          || message.contains("PKIX")
          || message.contains("subject alternative")) {
        return true;
      }
    }
    return false;
  }
}
