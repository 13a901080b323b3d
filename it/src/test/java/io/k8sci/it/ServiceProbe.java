package io.k8sci.it;

import io.k8sci.testing.podman.Podman;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Runs a built service image with podman, as a node would, and asks it one HTTP question once it
 * has started: the shared last step of the scenarios that prove an image really works.
 */
final class ServiceProbe {

  private ServiceProbe() {}

  /**
   * Starts {@code image} on a free port ({@code SERVER_PORT}), waits for {@code startedLine} in its
   * log, GETs {@code path}, and stops the container.
   */
  static HttpResponse<String> get(Podman podman, String image, String startedLine, String path)
      throws IOException, InterruptedException {
    int port = Cluster.freePort();
    try (Podman.Container container =
        podman.start(Podman.run(image).env("SERVER_PORT", Integer.toString(port)))) {
      container.awaitLog(log -> log.contains(startedLine), Duration.ofMinutes(2));
      return HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
    }
  }
}
