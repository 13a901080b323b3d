package io.k8sci.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.k8sci.K8sciException;
import io.k8sci.testing.RecordingBuildLog;
import io.k8sci.testing.registry.RegistryServer;
import java.util.List;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

class TlsPreflightTest {

  @AutoClose static RegistryServer registry = RegistryServer.startPlain();

  @Test
  void theVerdictOfTheBackgroundCheckComesWithAwait() {
    TlsPreflight.Checks checks =
        TlsPreflight.start(
            List.of(new TlsPreflight.Registry(registry.host(), "to")), new RecordingBuildLog());

    assertThatThrownBy(checks::await)
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining("Cannot talk to the registry " + registry.host() + " (to)")
        .hasMessageContaining("it answers plain http")
        .hasMessageContaining("Nothing was pushed.");
  }

  @Test
  void noRegistriesToCheckIsAPass() {
    TlsPreflight.start(List.of(), new RecordingBuildLog()).await();

    assertThat(TlsPreflight.problem(registry.host())).isPresent();
  }
}
