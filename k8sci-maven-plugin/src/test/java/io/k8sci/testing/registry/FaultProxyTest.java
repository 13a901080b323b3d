package io.k8sci.testing.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fault proxy forwards real registry traffic and injects exactly the faults it is told. */
class FaultProxyTest {

  static RegistryServer registry;
  FaultProxy proxy;
  HttpClient client;

  @TempDir Path temp;

  @BeforeAll
  static void startRegistry() {
    registry = RegistryServer.startPlain();
  }

  @AfterAll
  static void stopRegistry() {
    registry.close();
  }

  @BeforeEach
  void startProxy() {
    proxy = FaultProxy.inFrontOf(registry);
    client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterEach
  void stopProxy() {
    proxy.close();
  }

  @Test
  void forwardsRequestsOnAKeptAliveConnectionAndCountsThem() throws Exception {
    for (int i = 0; i < 3; i++) {
      assertThat(get("/v2/").statusCode()).isEqualTo(200);
    }

    assertThat(proxy.requestCount()).isEqualTo(3);
    assertThat(proxy.connectionCount()).isEqualTo(1);
    assertThat(proxy.requests()).extracting(FaultProxy.Request::toString).containsOnly("GET /v2/");
    assertThat(proxy.faultCount()).isZero();
  }

  @Test
  void answersTheNextRequestsWithHttp500ThenForwardsAgain() throws Exception {
    proxy.failNext(2, FaultProxy.HTTP_500);

    HttpResponse<String> first = get("/v2/");
    HttpResponse<String> second = get("/v2/");
    HttpResponse<String> third = get("/v2/");

    assertThat(first.statusCode()).isEqualTo(500);
    assertThat(first.body()).contains("injected by FaultProxy");
    assertThat(second.statusCode()).isEqualTo(500);
    assertThat(third.statusCode()).isEqualTo(200);
    assertThat(proxy.faultCount()).isEqualTo(2);
    assertThat(proxy.requestCount()).isEqualTo(3);
  }

  @Test
  void answers429WithRetryAfter() throws Exception {
    proxy.failNext(1, FaultProxy.httpError(429, 7));

    HttpResponse<String> response = get("/v2/");

    assertThat(response.statusCode()).isEqualTo(429);
    assertThat(response.headers().firstValue("Retry-After")).hasValue("7");
  }

  @Test
  void dropsTheConnectionWithoutAnswering() throws Exception {
    proxy.failNext(1, FaultProxy.dropConnection());

    // a raw socket: HTTP clients may silently retry an idempotent request on a dropped connection
    String dropped = rawExchange("GET /v2/ HTTP/1.1\r\nHost: " + proxy.host() + "\r\n\r\n");
    String answered =
        rawExchange("GET /v2/ HTTP/1.1\r\nHost: " + proxy.host() + "\r\nConnection: close\r\n\r\n");

    assertThat(dropped).isEmpty();
    assertThat(answered).startsWith("HTTP/1.1 200");
    assertThat(proxy.faultedRequests())
        .extracting(FaultProxy.Request::path)
        .containsExactly("/v2/");
  }

  @Test
  void closesATlsHandshakeAtOnceSoClientsFallBackToHttp() throws Exception {
    // what skopeo --tls-verify=false and Jib with allowInsecureRegistries send first
    String answer =
        rawExchange("\u0016\u0003\u0001\u0000\u00a5\u0001\u0000\u0000\u00a1\u0003\u0003");

    assertThat(answer).isEmpty();
    assertThat(proxy.requestCount()).isZero();
  }

  @Test
  void readsAFaultedRequestsChunkedBodyBeforeAnswering() throws Exception {
    proxy.failNext(1, FaultProxy.HTTP_500);

    String response =
        rawExchange(
            "PATCH /v2/x/blobs/uploads/abc HTTP/1.1\r\nHost: "
                + proxy.host()
                + "\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");

    assertThat(response).startsWith("HTTP/1.1 500").contains("Connection: close");
  }

  @Test
  void failsEverythingUntilHealed() throws Exception {
    proxy.failAlways(FaultProxy.httpError(503));

    int[] statuses = {get("/v2/").statusCode(), get("/v2/").statusCode(), get("/v2/").statusCode()};
    proxy.heal();
    int healed = get("/v2/").statusCode();

    assertThat(statuses).containsOnly(503);
    assertThat(healed).isEqualTo(200);
  }

  @Test
  void failsOnlyMatchingRequestsDuringARealPush() throws Exception {
    Path layout = Umoci.tinyImage(temp.resolve("layout"), "v1", Map.of("/f.txt", "f\n"));
    Skopeo skopeo = Skopeo.insecure();
    proxy.failNext(1, FaultProxy.HTTP_500, FaultProxy.matching("PUT", "/v2/.+/manifests/.+"));

    assertThatThrownBy(() -> skopeo.pushOciLayout(layout, "v1", proxy.image("faulty/app:1")))
        .isInstanceOf(CommandFailedException.class)
        .hasMessageContaining("500");
    // blobs went through (bodies forwarded intact), only the manifest was refused
    assertThat(proxy.faultedRequests())
        .extracting(FaultProxy.Request::toString)
        .containsExactly("PUT /v2/faulty/app/manifests/1");
    assertThat(proxy.requestCount(FaultProxy.matching("PUT", "/v2/faulty/app/blobs/uploads/.+")))
        .isEqualTo(2);
    assertThat(registry.countRequests("PUT", "/v2/faulty/app/manifests/1")).isZero();

    skopeo.pushOciLayout(layout, "v1", proxy.image("faulty/app:1"));

    assertThat(skopeo.listTags(registry.host() + "/faulty/app")).containsExactly("1");
    assertThat(skopeo.inspect(registry.image("faulty/app:1")).digest())
        .isEqualTo(skopeo.inspect(proxy.image("faulty/app:1")).digest());
  }

  @Test
  void answers502WhenTheUpstreamIsGone() throws Exception {
    RegistryServer shortLived = RegistryServer.startPlain();
    try (FaultProxy orphan = FaultProxy.inFrontOf(shortLived)) {
      shortLived.close();

      String response =
          rawExchange("GET /v2/ HTTP/1.1\r\nHost: " + orphan.host() + "\r\n\r\n", orphan);

      assertThat(response).startsWith("HTTP/1.1 502");
    }
  }

  private HttpResponse<String> get(String path) throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://" + proxy.host() + path))
            .timeout(Duration.ofSeconds(10))
            .build();
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private String rawExchange(String request) throws IOException {
    return rawExchange(request, proxy);
  }

  /** Writes a request and reads until the proxy closes the connection (or 10 s pass). */
  private static String rawExchange(String request, FaultProxy target) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", target.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      if (request.contains("Connection: close")) {
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      }
      // read one response head (enough for these tests) or EOF
      StringBuilder text = new StringBuilder();
      int b;
      while ((b = in.read()) >= 0) {
        text.append((char) b);
        if (text.toString().endsWith("\r\n\r\n")) {
          break;
        }
      }
      return text.toString();
    }
  }
}
