package io.k8sci.image;

import com.google.api.client.http.HttpHeaders;
import com.google.api.client.http.HttpResponseException;
import com.google.cloud.tools.jib.api.InsecureRegistryException;
import com.google.cloud.tools.jib.api.RegistryAuthenticationFailedException;
import com.google.cloud.tools.jib.api.RegistryUnauthorizedException;
import com.google.cloud.tools.jib.http.ResponseException;
import com.google.cloud.tools.jib.registry.RegistryCredentialsNotSentException;
import io.k8sci.registry.RetryPolicy;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * Tells a registry failure worth retrying (the registry or the network hiccuped) from one that will
 * fail again (wrong credentials, unknown host, untrusted certificate, missing image), by walking
 * the cause chain of what Jib throws.
 *
 * <p>Transient: HTTP 5xx and 429, connection reset or refused mid-way, timeouts, an unexpected end
 * of the response. Not transient: 401/403, other 4xx, {@link UnknownHostException}, a refused
 * connection (wrong host or port), TLS problems, {@link InsecureRegistryException}.
 */
final class RegistryFailures {

  private RegistryFailures() {}

  /** The failure's kind, used for the retry decision and the message. */
  enum Kind {
    UNAUTHORIZED(false),
    UNKNOWN_HOST(false),
    TLS(false),
    CREDENTIALS_OVER_HTTP(false),
    CLIENT_ERROR(false),
    SERVER_ERROR(true),
    TOO_MANY_REQUESTS(true),
    CONNECTION_REFUSED(false),
    CONNECTION(true),
    TIMEOUT(true),
    OTHER(false);

    final boolean transientFailure;

    Kind(boolean transientFailure) {
      this.transientFailure = transientFailure;
    }
  }

  static boolean isTransient(Throwable failure) {
    return classify(failure).transientFailure;
  }

  /**
   * The verdict for {@link io.k8sci.registry.RetryPolicy}: what happened, phrased to follow
   * "Registry HOST", and the server's {@code Retry-After}; empty when retrying cannot help.
   */
  static Optional<RetryPolicy.TransientFailure> transientFailure(Throwable failure) {
    Kind kind = classify(failure);
    if (!kind.transientFailure) {
      return Optional.empty();
    }
    OptionalInt status = httpStatus(failure);
    String description =
        switch (kind) {
          case SERVER_ERROR, TOO_MANY_REQUESTS -> "answered " + status.orElse(0);
          case TIMEOUT -> "timed out (" + summary(failure) + ")";
          default -> "dropped the connection (" + summary(failure) + ")";
        };
    return Optional.of(RetryPolicy.TransientFailure.of(description, retryAfter(failure)));
  }

  /** The {@code Retry-After} seconds of the first HTTP response in the chain, or null. */
  static Duration retryAfter(Throwable failure) {
    for (Throwable t : chain(failure)) {
      HttpHeaders headers = null;
      if (t instanceof ResponseException response) {
        headers = response.getHeaders();
      } else if (t instanceof HttpResponseException response) {
        headers = response.getHeaders();
      }
      if (headers != null) {
        Object value = headers.get("retry-after");
        if (value instanceof List<?> list && !list.isEmpty()) {
          value = list.get(0);
        }
        if (value != null) {
          try {
            return Duration.ofSeconds(Long.parseLong(value.toString().strip()));
          } catch (NumberFormatException e) {
            return null;
          }
        }
        return null;
      }
    }
    return null;
  }

  static Kind classify(Throwable failure) {
    List<Throwable> chain = chain(failure);
    // decisive, non-transient causes first: they may be wrapped in an IOException
    for (Throwable t : chain) {
      if (t instanceof RegistryUnauthorizedException
          || t instanceof RegistryAuthenticationFailedException) {
        return Kind.UNAUTHORIZED;
      }
      if (t instanceof RegistryCredentialsNotSentException) {
        return Kind.CREDENTIALS_OVER_HTTP;
      }
      if (t instanceof InsecureRegistryException
          || t instanceof SSLHandshakeException
          || t instanceof javax.net.ssl.SSLPeerUnverifiedException
          || t instanceof java.security.cert.CertificateException
          || t instanceof java.security.cert.CertPathValidatorException) {
        return Kind.TLS;
      }
      if (t instanceof UnknownHostException) {
        return Kind.UNKNOWN_HOST;
      }
    }
    OptionalInt status = httpStatus(failure);
    if (status.isPresent()) {
      int code = status.getAsInt();
      if (code == 401 || code == 403) {
        return Kind.UNAUTHORIZED;
      }
      if (code == 429) {
        return Kind.TOO_MANY_REQUESTS;
      }
      if (code >= 500) {
        return Kind.SERVER_ERROR;
      }
      if (code >= 400) {
        return Kind.CLIENT_ERROR;
      }
    }
    for (Throwable t : chain) {
      if (t instanceof SocketTimeoutException
          || t.getClass().getName().endsWith("ConnectTimeoutException")) {
        return Kind.TIMEOUT;
      }
      if (t instanceof ConnectException || t instanceof NoRouteToHostException) {
        return Kind.CONNECTION_REFUSED;
      }
      if (t instanceof SSLException) {
        // e.g. "Connection reset" during the handshake or a truncated TLS record; not a
        // certificate problem (those are SSLHandshakeException with a CertificateException)
        return Kind.CONNECTION;
      }
      if (t instanceof SocketException
          || t.getClass().getName().endsWith("NoHttpResponseException")
          || t.getClass().getName().endsWith("ConnectionClosedException")
          || t.getClass().getName().endsWith("TruncatedChunkException")
          || t instanceof java.io.EOFException) {
        return Kind.CONNECTION;
      }
      if (t instanceof InterruptedIOException
          && !(t instanceof java.nio.channels.ClosedByInterruptException)) {
        return Kind.TIMEOUT;
      }
      if (t instanceof java.io.IOException
          && messageContains(
              t, "broken pipe", "connection reset", "unexpected end of stream", "premature end")) {
        return Kind.CONNECTION;
      }
    }
    return Kind.OTHER;
  }

  /** The HTTP status of the first response error in the chain. */
  static OptionalInt httpStatus(Throwable failure) {
    for (Throwable t : chain(failure)) {
      if (t instanceof ResponseException response) {
        return OptionalInt.of(response.getStatusCode());
      }
      if (t instanceof HttpResponseException response) {
        return OptionalInt.of(response.getStatusCode());
      }
      if (t instanceof RegistryUnauthorizedException unauthorized
          && unauthorized.getCause() != null
          && unauthorized.getHttpResponseException() != null) {
        return OptionalInt.of(unauthorized.getHttpResponseException().getStatusCode());
      }
    }
    return OptionalInt.empty();
  }

  /** The first {@link RegistryUnauthorizedException}'s image, {@code registry/repository}. */
  static Optional<String> unauthorizedImage(Throwable failure) {
    for (Throwable t : chain(failure)) {
      if (t instanceof RegistryUnauthorizedException unauthorized) {
        return Optional.ofNullable(unauthorized.getImageReference());
      }
      if (t instanceof RegistryAuthenticationFailedException failed) {
        return Optional.ofNullable(failed.getServerUrl() + "/" + failed.getImageName());
      }
    }
    return Optional.empty();
  }

  /** A one-line summary of the root cause, for the final message. */
  static String summary(Throwable failure) {
    List<Throwable> chain = chain(failure);
    OptionalInt status = httpStatus(failure);
    String deepest = null;
    for (Throwable t : chain) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        deepest = t.getClass().getSimpleName() + ": " + firstLine(t.getMessage());
      }
    }
    if (deepest == null) {
      deepest = chain.get(chain.size() - 1).getClass().getSimpleName();
    }
    return status.isPresent() ? "HTTP " + status.getAsInt() + " (" + deepest + ")" : deepest;
  }

  private static String firstLine(String message) {
    String clean = message.replaceAll("\u001b\\[[0-9;]*m", "").strip();
    int newline = clean.indexOf('\n');
    return newline < 0 ? clean : clean.substring(0, newline).strip();
  }

  private static boolean messageContains(Throwable t, String... fragments) {
    String message =
        t.getMessage() == null ? "" : t.getMessage().toLowerCase(java.util.Locale.ROOT);
    for (String fragment : fragments) {
      if (message.contains(fragment)) {
        return true;
      }
    }
    return false;
  }

  static List<Throwable> chain(Throwable failure) {
    List<Throwable> chain = new ArrayList<>();
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
      chain.add(t);
    }
    return chain;
  }
}
