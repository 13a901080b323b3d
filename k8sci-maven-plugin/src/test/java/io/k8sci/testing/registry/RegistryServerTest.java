package io.k8sci.testing.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Proves the registry test infrastructure against the real distribution registry. */
class RegistryServerTest {

  @Nested
  class PlainHttp {

    @AutoClose final RegistryServer registry = RegistryServer.startPlain();

    @TempDir Path temp;

    @Test
    void answersV2WithoutAuthentication() throws Exception {
      HttpResponse<String> response =
          get(HttpClient.newHttpClient(), registry.baseUri().resolve("/v2/"), null);

      assertThat(registry.host()).matches("127\\.0\\.0\\.1:\\d+");
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("Docker-Distribution-Api-Version"))
          .hasValue("registry/2.0");
    }

    @Test
    void pushedImageIsInspectableAndCountsItsBlobUploads() throws Exception {
      Path layout = temp.resolve("layout");
      Map<String, String> files = new LinkedHashMap<>();
      files.put("/hello.txt", "hello from k8sci\n");
      files.put("/app/config.properties", "greeting=hi\n");
      Umoci.tinyImage(layout, "v1", files);
      Umoci.config(
          layout,
          "v1",
          "--config.env",
          "GREETING=hi",
          "--config.exposedports",
          "8080/tcp",
          "--config.label",
          "org.opencontainers.image.title=tiny",
          "--config.user",
          "1000",
          "--config.workingdir",
          "/app");
      Skopeo skopeo = Skopeo.forRegistry(registry);

      skopeo.pushOciLayout(layout, "v1", registry.image("team/tiny:1.0"));

      Skopeo.Inspection inspection = skopeo.inspect(registry.image("team/tiny:1.0"));
      assertThat(inspection.digest()).matches("sha256:[0-9a-f]{64}");
      assertThat(inspection.layers()).hasSize(2);
      Skopeo.ImageConfig config = skopeo.inspectConfig(registry.image("team/tiny:1.0"));
      assertThat(config.entrypoint()).containsExactly("/bin/true");
      assertThat(config.envValue("GREETING")).isEqualTo("hi");
      assertThat(config.exposedPorts()).containsExactly("8080/tcp");
      assertThat(config.labels()).containsEntry("org.opencontainers.image.title", "tiny");
      assertThat(config.user()).isEqualTo("1000");
      assertThat(config.workingDir()).isEqualTo("/app");
      assertThat(config.diffIds()).hasSize(2);
      var manifest = skopeo.inspectRaw(registry.image("team/tiny:1.0"));
      assertThat(manifest.path("layers")).hasSize(2);
      assertThat(manifest.path("config").path("digest").asText()).startsWith("sha256:");
      assertThat(skopeo.listTags(registry.host() + "/team/tiny")).containsExactly("1.0");
      // two layers and the config blob
      assertThat(registry.blobUploadCount()).isEqualTo(3);
      assertThat(registry.uploadedBlobDigests())
          .containsAll(inspection.layers())
          .contains(manifest.path("config").path("digest").asText());
      assertThat(registry.countRequests("PUT", "/v2/team/tiny/manifests/1.0")).isEqualTo(1);

      // a second tag of the same image uploads no blob again: the registry has them all
      skopeo.pushOciLayout(layout, "v1", registry.image("team/tiny:latest"));
      assertThat(registry.blobUploadCount()).isEqualTo(3);
      assertThat(skopeo.listTags(registry.host() + "/team/tiny"))
          .containsExactlyInAnyOrder("1.0", "latest");
    }

    @Test
    void pulledImageUnpacksToTheFilesThatWerePushed() throws Exception {
      Path layout = temp.resolve("layout");
      Umoci.tinyImage(layout, "v1", Map.of("/greeting.txt", "hello\n"));
      Skopeo skopeo = Skopeo.forRegistry(registry);
      skopeo.pushOciLayout(layout, "v1", registry.image("roundtrip:1"));

      Path pulled = temp.resolve("pulled");
      skopeo.pullToOciLayout(registry.image("roundtrip:1"), pulled, "got");
      Path rootfs = Umoci.unpack(pulled, "got", temp.resolve("bundle"));

      assertThat(Files.readString(rootfs.resolve("greeting.txt"))).isEqualTo("hello\n");
      assertThat(Umoci.runtimeConfig(temp.resolve("bundle")).path("process").path("args"))
          .extracting(n -> n.asText())
          .containsExactly("/bin/true");
      assertThat(Umoci.tags(pulled)).containsExactly("got");
    }

    @Test
    void inspectingAMissingImageFailsWithSkopeosMessage() {
      Skopeo skopeo = Skopeo.forRegistry(registry);

      assertThatThrownBy(() -> skopeo.inspect(registry.image("does/not-exist:1")))
          .isInstanceOf(CommandFailedException.class)
          .hasMessageContaining("skopeo inspect");
    }

    @Test
    void secureOnlyAccessorsExplainWhatToUse() {
      assertThatThrownBy(registry::caCertificatePem).hasMessageContaining("startSecured()");
      assertThatThrownBy(registry::password).hasMessageContaining("startSecured()");
    }
  }

  @Nested
  class TlsWithBasicAuth {

    @AutoClose final RegistryServer registry = RegistryServer.startSecured();

    @TempDir Path temp;

    @Test
    void rejectsMissingAndWrongCredentialsAndAcceptsTheRightOnes() throws Exception {
      HttpClient client = HttpClient.newBuilder().sslContext(registry.clientSslContext()).build();
      URI v2 = registry.baseUri().resolve("/v2/");

      HttpResponse<String> anonymous = get(client, v2, null);
      HttpResponse<String> wrong = get(client, v2, basic(registry.username(), "not-the-password"));
      HttpResponse<String> right = get(client, v2, basic(registry.username(), registry.password()));

      assertThat(registry.baseUri().getScheme()).isEqualTo("https");
      assertThat(anonymous.statusCode()).isEqualTo(401);
      assertThat(anonymous.headers().firstValue("WWW-Authenticate"))
          .hasValueSatisfying(v -> assertThat(v).startsWith("Basic"));
      assertThat(wrong.statusCode()).isEqualTo(401);
      assertThat(right.statusCode()).isEqualTo(200);
    }

    @Test
    void isNotTrustedByTheDefaultTrustStore() {
      HttpClient client = HttpClient.newBuilder().sslContext(defaultContext()).build();

      assertThatThrownBy(() -> get(client, registry.baseUri().resolve("/v2/"), null))
          .isInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void caFileIsAPemCertificateThatSignedTheServerCertificate() throws Exception {
      String pem = Files.readString(registry.caCertificatePem(), StandardCharsets.US_ASCII);

      assertThat(pem).startsWith("-----BEGIN CERTIFICATE-----");
      assertThat(registry.certificateDirectory().resolve("ca.crt")).hasContent(pem.strip());
      registry
          .certificates()
          .serverCertificate()
          .verify(registry.certificates().caCertificate().getPublicKey());
    }

    @Test
    void skopeoPushesWithCredentialsAndIsRefusedWithout() throws Exception {
      Path layout = temp.resolve("layout");
      Umoci.tinyImage(layout, "v1", Map.of("/a.txt", "a\n"));
      Skopeo skopeo = Skopeo.forRegistry(registry);

      skopeo.pushOciLayout(layout, "v1", registry.image("secure/app:1"));

      assertThat(skopeo.inspect(registry.image("secure/app:1")).layers()).hasSize(1);
      Skopeo wrongPassword = skopeo.withCredentials(registry.username(), "wrong-password");
      assertThatThrownBy(() -> wrongPassword.inspect(registry.image("secure/app:1")))
          .isInstanceOf(CommandFailedException.class)
          .hasMessageNotContaining("wrong-password")
          .satisfies(
              e ->
                  assertThat(((CommandFailedException) e).stderr())
                      .containsIgnoringCase("unauthorized"));
      Skopeo anonymous = skopeo.withCredentials(null, null);
      assertThatThrownBy(() -> anonymous.inspect(registry.image("secure/app:1")))
          .isInstanceOf(CommandFailedException.class);
    }
  }

  @Test
  void closeStopsTheRegistryAndDeletesItsStorage() throws Exception {
    RegistryServer registry = RegistryServer.startPlain();
    Path storage = registry.storageDirectory();
    URI v2 = registry.baseUri().resolve("/v2/");
    assertThat(storage).isDirectory();

    registry.close();

    assertThat(storage).doesNotExist();
    assertThatThrownBy(() -> get(HttpClient.newHttpClient(), v2, null))
        .isInstanceOf(ConnectException.class);
  }

  static HttpResponse<String> get(HttpClient client, URI uri, String authorization)
      throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  private static SSLContext defaultContext() {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, null, null); // the JRE's default trust store
      return context;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
