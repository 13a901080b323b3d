package io.k8sci.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.api.client.http.HttpHeaders;
import com.google.api.client.http.HttpResponseException;
import com.google.cloud.tools.jib.api.InsecureRegistryException;
import com.google.cloud.tools.jib.api.RegistryException;
import com.google.cloud.tools.jib.api.RegistryUnauthorizedException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URL;
import java.net.UnknownHostException;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RegistryFailuresTest {

  private static HttpResponseException http(int status) {
    return new HttpResponseException.Builder(status, "status " + status, new HttpHeaders()).build();
  }

  private static Throwable wrapped(Throwable cause) {
    return new ExecutionException(new IOException("I/O error for image [r/x]", cause));
  }

  static Stream<Arguments> failures() throws Exception {
    return Stream.of(
        Arguments.of(http(500), RegistryFailures.Kind.SERVER_ERROR, true),
        Arguments.of(wrapped(http(503)), RegistryFailures.Kind.SERVER_ERROR, true),
        Arguments.of(wrapped(http(429)), RegistryFailures.Kind.TOO_MANY_REQUESTS, true),
        Arguments.of(
            wrapped(new SocketException("Connection reset")),
            RegistryFailures.Kind.CONNECTION,
            true),
        Arguments.of(
            wrapped(new SocketTimeoutException("Read timed out")),
            RegistryFailures.Kind.TIMEOUT,
            true),
        Arguments.of(
            wrapped(
                new org.apache.http.NoHttpResponseException("127.0.0.1:5000 failed to respond")),
            RegistryFailures.Kind.CONNECTION,
            true),
        Arguments.of(
            wrapped(new IOException("Broken pipe")), RegistryFailures.Kind.CONNECTION, true),
        Arguments.of(wrapped(http(401)), RegistryFailures.Kind.UNAUTHORIZED, false),
        Arguments.of(wrapped(http(403)), RegistryFailures.Kind.UNAUTHORIZED, false),
        Arguments.of(
            new ExecutionException(new RegistryUnauthorizedException("r:5000", "group/app", null)),
            RegistryFailures.Kind.UNAUTHORIZED,
            false),
        Arguments.of(wrapped(http(404)), RegistryFailures.Kind.CLIENT_ERROR, false),
        Arguments.of(
            wrapped(new UnknownHostException("registry.invalid")),
            RegistryFailures.Kind.UNKNOWN_HOST,
            false),
        Arguments.of(
            wrapped(new ConnectException("Connection refused")),
            RegistryFailures.Kind.CONNECTION_REFUSED,
            false),
        Arguments.of(
            new InsecureRegistryException(
                new URL("https://r:5000/v2/"), new SSLHandshakeException("PKIX")),
            RegistryFailures.Kind.TLS,
            false),
        Arguments.of(
            wrapped(new SSLHandshakeException("PKIX path building failed")),
            RegistryFailures.Kind.TLS,
            false),
        Arguments.of(new RegistryException("something else"), RegistryFailures.Kind.OTHER, false));
  }

  @ParameterizedTest
  @MethodSource("failures")
  void classifiesByWalkingTheCauseChain(
      Throwable failure, RegistryFailures.Kind kind, boolean transientFailure) {
    assertThat(RegistryFailures.classify(failure)).isEqualTo(kind);
    assertThat(RegistryFailures.isTransient(failure)).isEqualTo(transientFailure);
  }

  @ParameterizedTest
  @MethodSource("failures")
  void summaryNamesTheRootCause(Throwable failure, RegistryFailures.Kind kind, boolean ignored) {
    String summary = RegistryFailures.summary(failure);
    assertThat(summary).isNotBlank();
    RegistryFailures.httpStatus(failure)
        .ifPresent(status -> assertThat(summary).startsWith("HTTP " + status));
  }
}
