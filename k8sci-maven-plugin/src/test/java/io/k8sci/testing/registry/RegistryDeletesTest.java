package io.k8sci.testing.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry under test accepts deletes ({@code storage.delete.enabled}). */
class RegistryDeletesTest {

  @AutoClose final RegistryServer registry = RegistryServer.startPlain();

  @TempDir Path temp;

  @Test
  void deletedImageIsGone() {
    Path layout = Umoci.tinyImage(temp.resolve("layout"), "v1", Map.of("/x.txt", "x\n"));
    Skopeo skopeo = Skopeo.forRegistry(registry);
    skopeo.pushOciLayout(layout, "v1", registry.image("deletable:1"));

    skopeo.delete(registry.image("deletable:1"));

    assertThatThrownBy(() -> skopeo.inspect(registry.image("deletable:1")))
        .isInstanceOf(CommandFailedException.class);
    assertThat(registry.countRequests("DELETE", "/v2/deletable/manifests/sha256:[0-9a-f]{64}"))
        .isEqualTo(1);
  }
}
