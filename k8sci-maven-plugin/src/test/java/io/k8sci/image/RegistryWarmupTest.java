package io.k8sci.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.k8sci.K8sciException;
import io.k8sci.testing.RecordingBuildLog;
import io.k8sci.testing.registry.RegistryServer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

class RegistryWarmupTest {

  @AutoClose static RegistryServer registry = RegistryServer.startPlain();

  private final RecordingBuildLog log = new RecordingBuildLog();

  @Test
  void warmUpTalksToThePlainHttpRegistryTheWayJibWill() {
    long before = registry.countRequests("GET", "/v2/");

    RegistryWarmup.start(List.of(), Optional.of(registry.host()), true, log).await();

    assertThat(log.lines("DEBUG"))
        .anyMatch(l -> l.startsWith("Warm-up call to " + registry.host() + "/v2/: HTTP 200 in "));
    assertThat(registry.countRequests("GET", "/v2/")).isGreaterThan(before);
  }

  @Test
  void preflightVerdictFailsTheBuildBeforeAnythingElse() {
    RegistryWarmup warmup =
        RegistryWarmup.start(
            List.of(new RegistryWarmup.Preflight(registry.host(), "to")),
            Optional.of(registry.host()),
            false,
            log);

    assertThatThrownBy(warmup::await)
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining("Cannot talk to the registry " + registry.host() + " (to)")
        .hasMessageContaining("it answers plain http");
    // no warm-up call to a registry that failed its check
    assertThat(log.lines("DEBUG")).noneMatch(l -> l.startsWith("Warm-up call"));
  }

  @Test
  void aRegistryThatDoesNotAnswerIsNotWaitedForLongerThanTheWarmUpWait() throws Exception {
    List<Socket> accepted = new CopyOnWriteArrayList<>();
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor =
          new Thread(
              () -> {
                try {
                  while (true) {
                    accepted.add(silent.accept()); // and never answer
                  }
                } catch (Exception e) {
                  // closed
                }
              });
      acceptor.setDaemon(true);
      acceptor.start();

      RegistryWarmup.start(List.of(), Optional.of("127.0.0.1:" + silent.getLocalPort()), true, log)
          .await();

      // await returned while the call still waits for its answer (it times out after 5 s)
      assertThat(log.lines("DEBUG")).noneMatch(l -> l.startsWith("Warm-up call"));
    } finally {
      for (Socket socket : accepted) {
        socket.close();
      }
    }
  }
}
