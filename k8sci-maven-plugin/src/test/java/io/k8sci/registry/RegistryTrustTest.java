package io.k8sci.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.k8sci.K8sciException;
import io.k8sci.testing.registry.RegistryServer;
import io.k8sci.testing.registry.TestCertificates;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Installs trust JVM-wide, as the image goal does. Each registry has its own freshly generated CA,
 * so what other tests in the same JVM trusted cannot make these pass.
 */
class RegistryTrustTest {

  static RegistryServer first;
  static RegistryServer second;
  static RegistryServer neverTrusted;

  @TempDir Path temp;

  @BeforeAll
  static void startRegistries() {
    first = RegistryServer.startSecured();
    second = RegistryServer.startSecured();
    neverTrusted = RegistryServer.startSecured();
  }

  @AfterAll
  static void stopRegistries() {
    first.close();
    second.close();
    neverTrusted.close();
  }

  @Test
  void defaultContextTrustsTheRegistryOnlyAfterItsCaIsAdded() throws Exception {
    // its own registry: a CA no other test can have trusted yet
    try (RegistryServer fresh = RegistryServer.startSecured()) {
      assertThatThrownBy(() -> statusWithDefaultContext(fresh))
          .isInstanceOf(SSLHandshakeException.class);
      assertThatThrownBy(() -> handshakeWithDefaultSocketFactory(fresh))
          .isInstanceOf(SSLHandshakeException.class);

      RegistryTrust.trustCaCertificates(fresh.caCertificatePem());

      // 401: the TLS connection was made, the registry wants credentials
      assertThat(statusWithDefaultContext(fresh)).isEqualTo(401);
      handshakeWithDefaultSocketFactory(fresh);
      // trusting one CA trusts nothing else
      assertThatThrownBy(() -> statusWithDefaultContext(neverTrusted))
          .isInstanceOf(SSLHandshakeException.class);
    }
  }

  @Test
  void callsMergeAndRepeatingACallChangesNothing() throws Exception {
    Path directory = Files.createDirectories(temp.resolve("certs"));
    Files.copy(second.caCertificatePem(), directory.resolve("second.crt"));
    Files.writeString(directory.resolve("README.txt"), "not a certificate, ignored");
    RegistryTrust.trustCaCertificates(first.caCertificatePem());

    RegistryTrust.trustCaCertificates(directory);
    SSLContext afterMerge = SSLContext.getDefault();
    RegistryTrust.trustCaCertificates(directory);
    RegistryTrust.trustCaCertificates(first.caCertificatePem());

    assertThat(SSLContext.getDefault()).isSameAs(afterMerge);
    assertThat(statusWithDefaultContext(first)).isEqualTo(401);
    assertThat(statusWithDefaultContext(second)).isEqualTo(401);
    assertThat(RegistryTrust.addedCertificates())
        .contains(first.certificates().caCertificate(), second.certificates().caCertificate())
        .doesNotContain(neverTrusted.certificates().caCertificate());
  }

  @Test
  void keepsTrustingTheJresOwnCas() throws Exception {
    RegistryTrust.trustCaCertificates(first.caCertificatePem());

    List<X509Certificate> trusted =
        List.of(RegistryTrust.installedTrustManager().getAcceptedIssuers());

    assertThat(trusted)
        .containsAll(List.of(RegistryTrust.jreTrustManager().getAcceptedIssuers()))
        .contains(first.certificates().caCertificate());
    assertThat(RegistryTrust.jreTrustManager().getAcceptedIssuers()).isNotEmpty();
  }

  @Test
  void readsEveryCertificateOfABundle() throws Exception {
    TestCertificates other = TestCertificates.generate();
    Path bundle = temp.resolve("bundle.pem");
    Files.writeString(
        bundle,
        "# company bundle\n"
            + Files.readString(first.caCertificatePem())
            + "\nsome text between\n"
            + Files.readString(other.writeCaPem(temp.resolve("other.pem"))));

    assertThat(RegistryTrust.readCertificates(bundle))
        .containsExactly(first.certificates().caCertificate(), other.caCertificate());
  }

  @Test
  void missingFileIsNamed() {
    Path missing = temp.resolve("nope/ca.pem");

    assertThatThrownBy(() -> RegistryTrust.trustCaCertificates(missing))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining(missing.toString())
        .hasMessageContaining("does not exist");
  }

  @Test
  void fileWithoutCertificateIsNamed() throws IOException {
    Path notPem = Files.writeString(temp.resolve("ca.pem"), "hello");
    Path key =
        Files.writeString(
            temp.resolve("key.pem"),
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    Path broken =
        Files.writeString(
            temp.resolve("broken.pem"),
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");

    assertThatThrownBy(() -> RegistryTrust.trustCaCertificates(notPem))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining(notPem + " is not a PEM certificate");
    assertThatThrownBy(() -> RegistryTrust.trustCaCertificates(key))
        .hasMessageContaining("private key");
    assertThatThrownBy(() -> RegistryTrust.trustCaCertificates(broken))
        .hasMessageContaining(broken + ": certificate number 1 is not a valid X.509 certificate");
  }

  @Test
  void directoryWithoutCertificatesIsNamed() throws IOException {
    Path empty = Files.createDirectories(temp.resolve("empty"));

    assertThatThrownBy(() -> RegistryTrust.trustCaCertificates(empty))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining(empty + " has no *.pem or *.crt file");
  }

  /** As Jib does: a client built from whatever SSLContext.getDefault() is now. */
  private static int statusWithDefaultContext(RegistryServer registry) throws Exception {
    HttpClient client = HttpClient.newBuilder().sslContext(SSLContext.getDefault()).build();
    HttpRequest request =
        HttpRequest.newBuilder(registry.baseUri().resolve("/v2/"))
            .timeout(Duration.ofSeconds(10))
            .build();
    return client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  /** Apache HttpClient's system socket factory is SSLSocketFactory.getDefault(). */
  private static void handshakeWithDefaultSocketFactory(RegistryServer registry)
      throws IOException {
    try (SSLSocket socket =
        (SSLSocket) SSLSocketFactory.getDefault().createSocket("127.0.0.1", registry.port())) {
      socket.setSoTimeout(10_000);
      socket.startHandshake();
    }
  }
}
