package io.k8sci.rbac;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.k8sci.K8sciException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestKindsTest {

  @TempDir Path dir;

  @Test
  void kindsAreReadWithoutResolvingPlaceholders() throws Exception {
    Files.writeString(
        dir.resolve("a.yaml"),
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          template:
            spec:
              containers:
                - name: app
                  image: ${k8sci.image}
                  env:
                    - name: DB
                      value: ${env.DATABASE_URL}
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: __IMAGE_VERSION_SLUG__
        """);
    Files.writeString(
        dir.resolve("b.yaml"),
        """
        apiVersion: v1
        kind: List
        items:
          - apiVersion: v1
            kind: ConfigMap
            metadata: {name: c}
          - apiVersion: apps/v1
            kind: Deployment
            metadata: {name: other}
        """);

    assertThat(ManifestKinds.scan(dir))
        .containsExactly(
            new ManifestKinds.Kind("apps/v1", "Deployment"),
            new ManifestKinds.Kind("v1", "Service"),
            new ManifestKinds.Kind("v1", "ConfigMap"));
  }

  @Test
  void aDocumentWithoutKindNamesItsFileAndLine() throws Exception {
    Files.writeString(dir.resolve("x.yaml"), "apiVersion: v1\nkind: Service\n---\nmetadata: {}\n");

    assertThatThrownBy(() -> ManifestKinds.scan(dir))
        .isInstanceOf(K8sciException.class)
        .hasMessageContaining("x.yaml:4")
        .hasMessageContaining("without apiVersion or kind");
  }
}
